"""The input contract: schemas of every file of a study directory."""
from hubcase.schema.core import Column, Contract, DocumentSchema, TableSchema
from hubcase.schema.documents import DOCUMENTS
from hubcase.schema.tables import TABLES

CONTRACT = Contract(tables=TABLES, documents=DOCUMENTS)

__all__ = ["CONTRACT", "Column", "Contract", "DocumentSchema", "TableSchema"]
