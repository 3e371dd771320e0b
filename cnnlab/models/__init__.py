"""The model zoo: builders by name, freezing and head replacement, parameter and MAC counts."""
