"""Every SQL statement of the NBA service, split by what it stores."""
