"""Numba kernels: arrays in, arrays out. Never imports the ntorch front end."""
