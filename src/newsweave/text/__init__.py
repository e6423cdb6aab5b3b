"""Text analysis: sentences, embeddings, slots and dates."""
