"""(to be written)"""
IMPLS = {}
