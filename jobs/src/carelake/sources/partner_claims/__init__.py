"""Partner claims CSV files over SFTP."""
