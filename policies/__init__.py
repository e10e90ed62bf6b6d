# Checkov loads the Python policies in this folder as a package (--external-checks-dir policies).
