"""The LK20 curriculum: competence aims read from Udir's Grep, and the resources tagged with them."""
