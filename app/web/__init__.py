"""The web chat page: one HTML page whose script talks to the chat API like any other client."""
