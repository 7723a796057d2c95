"""The Typer commands: parse options, call the library, render, map errors to exit codes."""
