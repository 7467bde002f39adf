"""Students and their guardians, kept by each school (the roster other domains read)."""
