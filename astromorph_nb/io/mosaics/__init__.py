"""Stamps cut from a large image around catalogue positions (io layer).

``mosaic`` opens the large image (a FITS file, an HDU or an array with a WCS), ``positions``
turns catalogue positions into pixels, ``stamps`` (:func:`cutouts`) cuts the stamps.
"""
