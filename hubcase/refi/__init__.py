"""REFI-QDA interchange: import and export NVivo, ATLAS.ti, MAXQDA and QualCoder projects.

``import_qda`` / ``import_qdc`` bring a .qdpx project or .qdc codebook into a study's
qualitative inputs; ``export_qda`` writes the study's codebook (.qdc) or coded interviews
(.qdpx).  See docs/refi-qda.md.
"""
from hubcase.refi.common import QdaImportError, RefiError
from hubcase.refi.exporter import ExportReport, export_qda
from hubcase.refi.importer import ImportReport, import_qda, import_qdc
from hubcase.refi.model import QdaProject
from hubcase.refi.reader import read_qda

__all__ = ["ExportReport", "ImportReport", "QdaImportError", "QdaProject", "RefiError", "export_qda",
           "import_qda", "import_qdc", "read_qda"]
