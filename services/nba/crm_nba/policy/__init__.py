"""The NBA's pure rules: the customer's projection, the table, its transitions, coaching."""
