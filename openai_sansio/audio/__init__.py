"""Pure audio transformers (numpy + soxr): see the submodules; the public names are re-exported here."""
