"""Certificates (结业证书) and study-hours statements (学时证明) that anyone can verify.

``issuing`` holds the rules (who earns what, once), ``serials`` the numbers and what the public
verify page may show, ``document`` the PDF, ``files`` where PDFs are kept and the bundles an
administrator downloads (ZIP, Excel register), ``jobs`` issuing for a whole class in the
background. The rows in ``certificates`` are the truth; a PDF is a rendering of one row.
"""
