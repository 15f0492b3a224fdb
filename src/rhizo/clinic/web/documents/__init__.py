"""The clinic's documents: operative note, discharge sheet, personal plan, referral letter.

Each document is one view model (:mod:`rhizo.clinic.web.documents.views`), built
from the stored record read by :func:`rhizo.clinic.chart.reader.read_record`
(one audited ``read``, naming the document), and one template partial under
``templates/documents/``. The HTML page and the PDF
(:mod:`rhizo.clinic.web.documents.pdf`, WeasyPrint on Debian's Pango) render the
same partial from the same view model, so a page and its PDF cannot differ.
"""
