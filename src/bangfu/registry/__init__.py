"""Household registry (建档立卡): households, members, incomes, guarantee checks, workflow."""
