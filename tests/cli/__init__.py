"""CLI tests: CliRunner on files in tmp_path, exit codes and exact output."""
