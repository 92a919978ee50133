"""Helpers every web app shares (pages, downloads, governorate scoping, bulk writes): below all of them."""
