"""The pages of the people who grow, move and sell the goods: scanning at a handover, the lot
card and its actions."""
