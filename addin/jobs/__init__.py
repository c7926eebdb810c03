"""The use-case layer: one function per job (read → compute → write), called by every front end."""
