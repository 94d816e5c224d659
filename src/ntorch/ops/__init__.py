"""Op definitions: validation, promotion, broadcasting, output allocation and dispatch."""
