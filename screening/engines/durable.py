"""The durable_rules backend: durable's matching decides every outcome.

The pack is compiled (:mod:`screening.engines.durable_compile`, pure data) into JSON rulesets
registered on a synchronous host. One event per (candidate, rule) is posted into one session;
the action of the one durable rule that matches records the outcome, and an event no rule
matches is ``missing``. Python only computes the lifted sub-expressions that go into the events.

The events are posted, and the matched actions taken, through durable_rules' engine calls
(``assert_event``, ``start_action_for_state``, ``complete_and_start_action``) rather than its
``Host.post``: that path parses and re-serialises the session state around every action
(``Closure``, ``Promise``, ``update_state``), which cost more than the matching itself; the
screening actions read only the matched event and never change the state. Events are written
as JSON text straight from the candidate's values (no dict per event). ``benchmarks/durable_engine.py``
compares the engine with durable_rules' own ``Host.assert_fact`` and ``Host.post`` on the same rules.

durable_rules facts this module works around (2.0.28, measured):

* ``engine.Host`` runs queued actions on background timer threads; :class:`SyncHost` starts
  none, so every action has run when ``post`` returns.
* durable writes its JSON with ``json.dumps``, whose ``1e-07`` durable's own parser refuses;
  rulesets and events are written here by :func:`durable_json` instead.
* a ruleset fails or hangs past a few hundred rules: a pack is split into rulesets of
  :data:`RULES_PER_RULESET` rules; a ruleset allows 1024 sessions: one session serves all.
* a ruleset that has seen an event is never wholly freed: compiled packs are cached by their
  JSON text, so screening the same pack again reuses its rulesets.
* an event is consumed by the first durable rule it matches (one action per event, measured);
  a fact stays and fires every rule it matches, but must be retracted after: one event per
  (candidate, rule) remains the simplest exact form.

This is the screening engine's only import of ``durable``; :class:`SyncHost`,
:func:`unique_ruleset_name` and the JSON writers are public so that other durable users (the
approval flow) can share them.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence

from durable import engine as _durable

from screening.engines import OutcomeMatrix
from screening.engines.durable_compile import KINDS, CompiledPack, CompiledRule, compile_pack
from screening.pack.compiled import ResolvedPack

MessageNotHandledException = _durable.MessageNotHandledException
_engine = _durable.durable_rules_engine
#: Pack rules per durable ruleset (each becomes up to three durable rules).
RULES_PER_RULESET = 60
#: Compiled packs whose rulesets are kept for reuse.
CACHE_SIZE = 32

_names = itertools.count(1)
_encode_string = json.encoder.encode_basestring  # type: ignore[attr-defined]  # the C encoder, keeps non-ASCII


def unique_ruleset_name(prefix: str) -> str:
    """A ruleset name never used before in this process."""
    return f"{prefix}_{next(_names)}"


def durable_json(value: object) -> str:
    """JSON text durable_rules parses as meant.

    durable's number parser refuses an exponent without a fraction (``1e-07``, which Python
    writes), so every float is written with one (``1.0e-07``); infinity is written ``1.0e+309``,
    which durable reads as infinity; an integer beyond 64 bits goes as the nearest float. NaN
    has no durable form: ValueError.
    """
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, int):
        if abs(value) < 2**63:
            return str(value)
        try:  # durable's integers have 64 bits: a bigger one goes as the nearest float
            return durable_json(float(value))
        except OverflowError:
            return durable_json(math.copysign(math.inf, value))
    if isinstance(value, float):
        if math.isinf(value):
            return "1.0e+309" if value > 0 else "-1.0e+309"  # durable's strtod reads it as infinity
        if math.isnan(value):
            raise ValueError("durable_rules cannot hold the number nan")
        text = repr(value)
        mantissa, e, exponent = text.partition("e")
        return f"{mantissa}.0e{exponent}" if e and "." not in mantissa else text
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        items = (f"{json.dumps(str(k), ensure_ascii=False)}:{durable_json(v)}" for k, v in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(durable_json(v) for v in value) + "]"
    raise TypeError(f"no durable form for {value!r}")


def event_json(event: Mapping[str, object]) -> str:
    """:func:`durable_json` for a flat event of plain names and scalar values, faster."""
    parts = []
    for key, value in event.items():
        if isinstance(value, str):
            text = _encode_string(value)
        elif isinstance(value, float) and math.isfinite(value) and "e" not in (text := repr(value)):
            pass
        elif isinstance(value, int) and not isinstance(value, bool) and -2**63 < value < 2**63:
            text = str(value)
        else:
            text = durable_json(value)
        parts.append(f'"{key}":{text}')
    return "{" + ",".join(parts) + "}"


class _TextRuleset(_durable.Ruleset):
    """A ruleset created from JSON text written by :func:`durable_json`."""

    def __init__(self, name: str, host: SyncHost, actions: dict[str, Callable[[object], None]], text: str) -> None:
        # Ruleset.__init__ would json.dumps the definition; everything else it sets is set here.
        self._actions = {rule: _durable.Promise(action) for rule, action in actions.items()}
        self._name = name
        self._host = host
        self._handle = _durable.durable_rules_engine.create_ruleset(name, text)
        self._definition = text

    def assert_event_text(self, text: str) -> object:
        return self._handle_result(_durable.durable_rules_engine.assert_event(self._handle, text), text)


class SyncHost(_durable.Host):
    """A durable_rules host without background dispatch threads: deterministic and synchronous."""

    def _run(self) -> None:
        """Start no timer threads; actions run inside the calls that trigger them."""

    def add_ruleset(self, name: str, actions: dict[str, Callable[[object], None]], text: str) -> None:
        """Register a ruleset given as JSON text (rules without ``run``) and an action per rule."""
        if name in self._ruleset_directory:
            raise ValueError(f"ruleset '{name}' is already registered")
        ruleset = _TextRuleset(name, self, actions, text)
        self._ruleset_directory[name] = ruleset
        self._ruleset_list.append(ruleset)

    def post_text(self, name: str, text: str) -> None:
        """Post one event given as JSON text; raises MessageNotHandledException if no rule matches."""
        ruleset = self.get_ruleset(name)
        self._handle_function(ruleset, ruleset.assert_event_text, text, None)


class _Recorder:
    """Where the actions write: (candidate, rule index) -> outcome, and anything that went wrong."""

    def __init__(self) -> None:
        self.outcomes: dict[tuple[int, int], str] = {}
        self.errors: list[str] = []

    def action(self, rule_index: int, kind: str) -> Callable[[object], None]:
        outcome = KINDS[kind]

        def record(c: object) -> None:
            try:
                message = c.m  # type: ignore[attr-defined]
                key = (int(message["i"]), int(message["r"]))
                if key[1] != rule_index:
                    self.errors.append(f"rule r{rule_index}${kind} matched an event of rule {key[1]}")
                elif key in self.outcomes:
                    self.errors.append(f"two outcomes for candidate {key[0]}, rule {key[1]}")
                else:
                    self.outcomes[key] = outcome
            except BaseException as exc:  # noqa: BLE001 - durable would swallow it into the session state
                self.errors.append(f"action r{rule_index}${kind} failed: {exc!r}")
        return record


class _Matched:
    """What an action sees of a matched event (as durable's ``Closure``: ``c.m``)."""

    __slots__ = ("m",)

    def __init__(self, message: object) -> None:
        self.m = message


def _value_text(value: object) -> str:
    """:func:`durable_json` of one event value, dates as day ordinals (``to_durable``)."""
    if isinstance(value, str):
        return _encode_string(value)  # type: ignore[no-any-return]
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isfinite(value):
        text = repr(value)
        if "e" not in text:
            return text
    elif isinstance(value, int) and -2**63 < value < 2**63:
        return str(value)
    elif isinstance(value, dt.date):
        return str(value.toordinal())
    return durable_json(value)


def event_writer(rule: CompiledRule) -> Callable[[Mapping[str, object], int], str]:
    """A function writing the JSON text of ``rule.event(env, i)`` directly (no dict in between)."""
    head = '{"r":%d,"i":' % rule.index
    fields = [(f',"{prop}":', name, prop in rule.list_fields) for prop, name in rule.fields.items()]
    lifted = [(f',"{prop}":', item) for prop, item in rule.lifted.items()]

    def write(env: Mapping[str, object], candidate: int) -> str:
        parts = [head, str(candidate)]
        for key, name, is_list in fields:
            value = env.get(name)
            if value is not None:
                parts += (key, "true" if is_list else _value_text(value))
        for key, item in lifted:
            value = item.value(env)
            if value is not None:
                parts += (key, _value_text(value))
        parts.append("}")
        return "".join(parts)
    return write


class _LoadedPack:
    """A compiled pack's rulesets, registered on their own host, with a recorder for the actions."""

    def __init__(self, compiled: CompiledPack, texts: list[str]) -> None:
        self.host = SyncHost()
        self.recorder = _Recorder()
        self.lock = threading.Lock()
        self.names: list[str] = []
        self.actions: list[dict[str, Callable[[object], None]]] = []
        self.closed = False
        for definition, text in zip(compiled.rulesets(), texts, strict=True):
            name = unique_ruleset_name("screen")
            actions = {}
            for rule_name in definition:
                key, _, kind = rule_name.partition("$")
                # "never" (a placeholder in a ruleset whose rules never match) gets an unused action
                actions[rule_name] = self.recorder.action(*((int(key[1:]), kind) if kind else (-1, "na")))
            self.host.add_ruleset(name, actions, text)
            self.names.append(name)
            self.actions.append(actions)

    def close(self) -> None:
        """Free the rulesets (durable keeps a session's memory even so; see the module docstring)."""
        for name in self.names:
            _durable.durable_rules_engine.delete_ruleset(self.host.get_ruleset(name)._handle)
        self.names = []
        self.closed = True

    def decide(self, compiled: CompiledPack, rows: Sequence[dict[str, object]],
               constants: dict[str, object]) -> OutcomeMatrix:
        """Post one event per (row, rule) and collect what the actions recorded; defects raise."""
        recorder = self.recorder
        recorder.outcomes, recorder.errors = {}, []
        outcomes = recorder.outcomes
        chunk_of = {r: c for c, chunk in enumerate(compiled.chunks) for r in chunk}
        handles = [self.host.get_ruleset(name)._handle for name in self.names]
        # written from ``compiled`` itself: packs whose rulesets read alike share this loaded pack,
        # but their events carry other fields
        targets = [(rule, event_writer(rule), handles[chunk_of[rule.index]], self.actions[chunk_of[rule.index]])
                   for rule in compiled.rules]
        assert_event = _engine.assert_event
        for i, row in enumerate(rows):
            env = {**row, **constants}
            for rule, write, handle, actions in targets:
                try:
                    text = write(env, i)
                except ValueError as exc:
                    raise ValueError(f"{_where(i, row, rule)}: {exc}; screen it with --engine vector or reference") from exc
                before = len(outcomes)
                code, state = assert_event(handle, text)
                if code == 1:  # no durable rule matched: missing
                    handled = False
                elif code == 0 or code == 3:
                    handled = True
                    _take_actions(handle, state if code == 0 else 0, actions)
                else:
                    raise RuntimeError(f"durable_rules refused the event of {_where(i, row, rule)} (code {code})")
                if recorder.errors:
                    raise RuntimeError(f"durable_rules action failed, {_where(i, row, rule)}: {'; '.join(recorder.errors)}")
                recorded = len(outcomes) - before
                if recorded != int(handled):
                    raise RuntimeError(f"durable_rules {'matched' if handled else 'refused'} the event of "
                                       f"{_where(i, row, rule)} but its actions recorded {recorded} outcomes")
        for name in self.names:
            state = self.host.get_state(name, "0")
            if "exception" in state:
                raise RuntimeError(f"durable_rules session reports an error: {state['exception']}")
        width = len(compiled.rules)
        return [[recorder.outcomes.get((i, r), "missing") for r in range(width)] for i in range(len(rows))]


def _where(i: int, row: Mapping[str, object], rule: CompiledRule) -> str:
    return f"candidate {i + 1} ({row.get('id')}), rule '{rule.rule_id}'"


def _take_actions(handle: int, state: int, actions: Mapping[str, Callable[[object], None]]) -> None:
    """Run the actions durable started for a posted event, as ``Ruleset.do_actions`` does, but
    without reading or writing the session state (the screening actions do not change it).

    An action that raises is a defect that the caller sees as a missing record (as
    ``Promise.run`` swallows it into the state); durable's own errors propagate.
    """
    started = _engine.start_action_for_state(handle, state)
    if not started:
        return
    message = started[1]
    while message:
        for name, matched in json.loads(message).items():
            try:
                actions[name](_Matched(matched["m"] if isinstance(matched, dict) and "m" in matched else matched))
            except BaseException:  # noqa: BLE001,S110 - counted by the caller: recorded != matched
                pass
            break
        message = _engine.complete_and_start_action(handle, state)


_cache: OrderedDict[tuple[str, ...], _LoadedPack] = OrderedDict()
_cache_lock = threading.Lock()


def _loaded(compiled: CompiledPack) -> tuple[tuple[str, ...], _LoadedPack]:
    """The registered rulesets of ``compiled``: reused if the same JSON was loaded before."""
    texts = tuple(durable_json(definition) for definition in compiled.rulesets())
    evicted = []
    with _cache_lock:
        loaded = _cache.get(texts)
        if loaded is None:
            loaded = _cache[texts] = _LoadedPack(compiled, list(texts))
            while len(_cache) > CACHE_SIZE:
                evicted.append(_cache.popitem(last=False)[1])
        _cache.move_to_end(texts)
    for old in evicted:
        with old.lock:
            old.close()
    return texts, loaded


def _forget(key: tuple[str, ...], loaded: _LoadedPack) -> None:
    with _cache_lock:
        if _cache.get(key) is loaded:
            del _cache[key]


class DurableEngine:
    """Decides outcomes with durable_rules (see the module docstring)."""

    name = "durable"

    def compile(self, resolved: ResolvedPack) -> CompiledPack:
        """The pack's rules in durable's JSON terms, split into rulesets."""
        return compile_pack(resolved, RULES_PER_RULESET)

    def compile_report(self, resolved: ResolvedPack) -> list[dict[str, object]]:
        """Per rule: its durable rules (JSON conditions), the fields its events carry, what is lifted."""
        return self.compile(resolved).report()

    def decide(self, resolved: ResolvedPack, rows: Sequence[dict[str, object]]) -> OutcomeMatrix:
        """Outcome of every rule (pack order) for every row (list order); see :class:`Engine`."""
        compiled = self.compile(resolved)
        if not compiled.rules or not rows:
            return [["missing"] * len(compiled.rules) for _ in rows]
        constants = resolved.constants()
        while True:
            key, loaded = _loaded(compiled)
            with loaded.lock:
                if loaded.closed:  # evicted by another thread meanwhile
                    continue
                try:
                    return loaded.decide(compiled, rows, constants)
                except BaseException:
                    _forget(key, loaded)  # its session may hold half-done work: never reuse it
                    loaded.close()
                    raise
