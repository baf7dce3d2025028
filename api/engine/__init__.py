"""The REST engine: auth → request → plan → query → tx → response (DESIGN §1)."""
