"""Settings package: `base` holds everything, `test` and `production` override it."""
