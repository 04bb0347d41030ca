"""signature declarations: the service an employee declares they work for (issue 13)

A signature records what the signer declared: ``declaration`` (live / work / member) and
``place_id`` were there from 0004; an employee now also names the service they work for
(``service_id``). Existing "work" signatures to a service council get that council's
service; those to a place forum (which spans services) stay without one.

Revision ID: 0009_signature_declarations
Revises: 0004_petitions
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_signature_declarations"
down_revision = "0004_petitions"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("signatures") as batch_op:
        batch_op.add_column(sa.Column("service_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_signatures_service_id_services", "services", ["service_id"], ["id"]
        )
    op.execute(
        "UPDATE signatures SET service_id = ("
        "SELECT councils.service_id FROM petitions "
        "JOIN councils ON councils.id = petitions.council_id "
        "WHERE petitions.id = signatures.petition_id) "
        "WHERE declaration = 'work'"
    )


def downgrade():
    with op.batch_alter_table("signatures") as batch_op:
        batch_op.drop_constraint("fk_signatures_service_id_services", type_="foreignkey")
        batch_op.drop_column("service_id")
