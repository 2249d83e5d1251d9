"""Rule packs: the pydantic model of rule files, and the loader that builds a pack."""
