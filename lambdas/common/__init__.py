"""Code shared by the carelake Lambda handlers; packaged into every handler's zip as `common/`."""
