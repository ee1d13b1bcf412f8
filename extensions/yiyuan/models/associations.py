"""Art associations (协会) of the federation. The list is data: cities add their own."""

from __future__ import annotations

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class Association(Base):
    __tablename__ = "associations"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: stable English identifier, also the suffix of the association's hub group
    code: Mapped[str] = mapped_column(String(40), unique=True)
    #: e.g. 书协
    short_name: Mapped[str] = mapped_column(String(20), unique=True)
    #: e.g. 深圳市书法家协会
    full_name: Mapped[str] = mapped_column(String(100), unique=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
