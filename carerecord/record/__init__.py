"""The patient's record as a read model, built from stored resources."""
