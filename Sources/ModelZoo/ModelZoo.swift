// ModelZoo
