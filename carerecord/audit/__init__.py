"""The audit room: what one entry of the log says, how it is chained and checked, and how it
is shown to the people who must prove every access was proper. Writing it is the store's."""
