"""NBA: next best action with reasons, the who-next list, coaching prompts."""
