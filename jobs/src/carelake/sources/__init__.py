"""Raw sources: each one's contract (raw layout, bronze tables), parser and reader."""
