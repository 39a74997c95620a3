"""Identity: who a record is about. Joins by NHS number only; never guesses."""
