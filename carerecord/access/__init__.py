"""Access: who is asking, what they may see (one pure policy), and the reader bound to it."""
