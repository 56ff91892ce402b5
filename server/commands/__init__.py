"""Command families, one module per Redis family (like Redis's t_string.c, t_hash.c...)."""
