"""The project's own demo store data (tau-bench retail schema), made by `generate.py`."""
