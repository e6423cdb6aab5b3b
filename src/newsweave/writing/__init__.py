"""The brief: claims, disagreements, salience, composition and the writers of one story's brief."""
