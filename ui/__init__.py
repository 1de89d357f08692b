"""PySide6 screens; renders flow state and turns touches into flow events."""
