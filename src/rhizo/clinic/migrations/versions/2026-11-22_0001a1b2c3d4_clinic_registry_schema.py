"""Clinic registry schema: users, patients, clinical records, lesions, audit trail.

The audit table is append-only in the database too: triggers refuse UPDATE
and DELETE on SQLite and UPDATE, DELETE and TRUNCATE on PostgreSQL.

Revision ID: 0001a1b2c3d4
Revises:
Create Date: 2026-11-22 02:26:30.165904
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001a1b2c3d4"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_username", sa.String(length=64), nullable=False),
        sa.Column("actor_role", sa.String(length=16), nullable=True),
        sa.Column(
            "action",
            sa.Enum(
                "create",
                "read",
                "update",
                "delete",
                "export",
                "login",
                "failed_login",
                name="action",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("entity_type", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=True),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column(
            "details",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index("ix_audit_event_actor_ts", ["actor_id", "ts"], unique=False)
        batch_op.create_index("ix_audit_event_patient_ts", ["patient_id", "ts"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_event_ts"), ["ts"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "admin",
                "clinician",
                "nurse",
                "patient",
                "researcher",
                "auditor",
                name="role",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("full_name", sa.String(length=200), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "patients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mrn", sa.String(length=32), nullable=False),
        sa.Column("given_name", sa.String(length=100), nullable=False),
        sa.Column("family_name", sa.String(length=100), nullable=False),
        sa.Column("given_key", sa.String(length=100), nullable=False),
        sa.Column("family_key", sa.String(length=100), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column(
            "sex",
            sa.Enum(
                "female",
                "male",
                "other",
                "unknown",
                name="sex",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("postcode", sa.String(length=16), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("synthetic", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_patients_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patients")),
        sa.UniqueConstraint("mrn", name=op.f("uq_patients_mrn")),
        sa.UniqueConstraint("user_id", name=op.f("uq_patients_user_id")),
    )
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.create_index(
            "ix_patients_family_key_given_key", ["family_key", "given_key", "id"], unique=False
        )
        batch_op.create_index("ix_patients_given_key", ["given_key"], unique=False)

    op.create_table(
        "specialists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("specialty", sa.String(length=120), nullable=True),
        sa.Column("board_certification", sa.String(length=200), nullable=True),
        sa.Column("fellowship", sa.String(length=200), nullable=True),
        sa.Column("years_in_practice", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_specialists_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_specialists")),
        sa.UniqueConstraint("user_id", name=op.f("uq_specialists_user_id")),
    )
    op.create_table(
        "conditions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("icd10_code", sa.String(length=8), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("onset_date", sa.Date(), nullable=True),
        sa.Column(
            "region",
            sa.Enum(
                "cervical",
                "thoracic",
                "lumbar",
                "sacral",
                name="region",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column(
            "side",
            sa.Enum(
                "left", "right", "bilateral", name="side", native_enum=False, create_constraint=True
            ),
            nullable=True,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "recurrence",
                "remission",
                "resolved",
                name="status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_conditions_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conditions")),
    )
    with op.batch_alter_table("conditions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_conditions_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "diagnostic_blocks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("performed_on", sa.Date(), nullable=False),
        sa.Column(
            "block_type",
            sa.Enum(
                "medial_branch",
                "intra_articular",
                name="block_type",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "levels",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "side",
            sa.Enum(
                "left", "right", "bilateral", name="side", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column(
            "agent",
            sa.Enum(
                "lidocaine",
                "bupivacaine",
                "ropivacaine",
                "saline",
                "other",
                name="agent",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("volume_ml", sa.Double(), nullable=False),
        sa.Column("baseline_nrs", sa.Integer(), nullable=True),
        sa.Column("relief_percent", sa.Integer(), nullable=False),
        sa.Column("relief_hours", sa.Double(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "relief_percent BETWEEN 0 AND 100",
            name=op.f("ck_diagnostic_blocks_relief_percent_range"),
        ),
        sa.CheckConstraint("volume_ml > 0", name=op.f("ck_diagnostic_blocks_volume_positive")),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_diagnostic_blocks_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_diagnostic_blocks")),
    )
    with op.batch_alter_table("diagnostic_blocks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_diagnostic_blocks_patient_id"), ["patient_id"], unique=False
        )

    op.create_table(
        "medications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("dose", sa.String(length=120), nullable=True),
        sa.Column("indication", sa.String(length=200), nullable=True),
        sa.Column("started_on", sa.Date(), nullable=True),
        sa.Column("stopped_on", sa.Date(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_medications_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_medications")),
    )
    with op.batch_alter_table("medications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_medications_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("procedure", sa.String(length=64), nullable=False),
        sa.Column("planned_date", sa.Date(), nullable=False),
        sa.Column(
            "side",
            sa.Enum(
                "left", "right", "bilateral", name="side", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column(
            "levels",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "sedation",
            sa.Enum(
                "none",
                "minimal",
                "moderate",
                "deep",
                "general",
                name="sedation",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "risk_factors",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("diabetes", sa.Boolean(), nullable=False),
        sa.Column("implanted_device", sa.Boolean(), nullable=False),
        sa.Column(
            "bleeding_risk",
            sa.Enum(
                "low",
                "intermediate",
                "high",
                name="bleeding_risk",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "holds",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "unmatched_medications",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "instructions",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "confirmed",
                "done",
                "cancelled",
                name="status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_plans_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plans")),
    )
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plans_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "care_trials",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("condition_id", sa.Integer(), nullable=True),
        sa.Column(
            "modality",
            sa.Enum(
                "physiotherapy",
                "home_exercise",
                "nsaid",
                "acetaminophen",
                "activity_modification",
                "chiropractic",
                "acupuncture",
                "psychological",
                "other",
                name="modality",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("relief_percent", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "end_date IS NULL OR end_date >= start_date",
            name=op.f("ck_care_trials_end_after_start"),
        ),
        sa.ForeignKeyConstraint(
            ["condition_id"],
            ["conditions.id"],
            name=op.f("fk_care_trials_condition_id_conditions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_care_trials_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_trials")),
    )
    with op.batch_alter_table("care_trials", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_care_trials_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "procedures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.Column("performer_id", sa.Integer(), nullable=False),
        sa.Column("performed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "technique",
            sa.Enum(
                "conventional",
                "cooled",
                "pulsed",
                name="technique",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "region",
            sa.Enum(
                "cervical",
                "thoracic",
                "lumbar",
                "sacral",
                name="region",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "side",
            sa.Enum(
                "left", "right", "bilateral", name="side", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column(
            "levels",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "sedation",
            sa.Enum(
                "none",
                "minimal",
                "moderate",
                "deep",
                "general",
                name="sedation",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("fluoroscopy_time_s", sa.Double(), nullable=True),
        sa.Column("duration_min", sa.Double(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "scheduled",
                "completed",
                "abandoned",
                "cancelled",
                name="status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("repeat_of_id", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("duration_min >= 0", name=op.f("ck_procedures_duration_nonnegative")),
        sa.CheckConstraint(
            "fluoroscopy_time_s >= 0", name=op.f("ck_procedures_fluoroscopy_nonnegative")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_procedures_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["performer_id"],
            ["specialists.id"],
            name=op.f("fk_procedures_performer_id_specialists"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_procedures_plan_id_plans"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["repeat_of_id"],
            ["procedures.id"],
            name=op.f("fk_procedures_repeat_of_id_procedures"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_procedures")),
    )
    with op.batch_alter_table("procedures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_procedures_patient_id"), ["patient_id"], unique=False)
        batch_op.create_index(
            "ix_procedures_performer_id_performed_at",
            ["performer_id", "performed_at"],
            unique=False,
        )

    op.create_table(
        "complications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("procedure_id", sa.Integer(), nullable=True),
        sa.Column(
            "type",
            sa.Enum(
                "neuritis",
                "localized_pain",
                "dysaesthesia",
                "numbness",
                "motor_deficit",
                "sensory_deficit",
                "infection",
                "bleeding",
                "skin_burn",
                "vasovagal",
                "ataxia",
                "other",
                name="type",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "severity",
            sa.Enum(
                "mild",
                "moderate",
                "severe",
                name="severity",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("onset_date", sa.Date(), nullable=False),
        sa.Column("resolved_on", sa.Date(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "resolved_on IS NULL OR resolved_on >= onset_date",
            name=op.f("ck_complications_resolved_after_onset"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_complications_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["procedure_id"],
            ["procedures.id"],
            name=op.f("fk_complications_procedure_id_procedures"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complications")),
    )
    with op.batch_alter_table("complications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_complications_patient_id"), ["patient_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_complications_procedure_id"), ["procedure_id"], unique=False
        )

    op.create_table(
        "discharges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("procedure_id", sa.Integer(), nullable=False),
        sa.Column("discharged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "disposition",
            sa.Enum(
                "home",
                "admitted",
                "transferred",
                name="disposition",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("nrs", sa.Integer(), nullable=True),
        sa.Column("escort_present", sa.Boolean(), nullable=False),
        sa.Column("instructions_given", sa.Boolean(), nullable=False),
        sa.Column("new_deficit", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["procedure_id"],
            ["procedures.id"],
            name=op.f("fk_discharges_procedure_id_procedures"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discharges")),
        sa.UniqueConstraint("procedure_id", name=op.f("uq_discharges_procedure_id")),
    )
    op.create_table(
        "followups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("procedure_id", sa.Integer(), nullable=True),
        sa.Column("followed_on", sa.Date(), nullable=False),
        sa.Column("nrs", sa.Integer(), nullable=False),
        sa.Column("odi", sa.Integer(), nullable=True),
        sa.Column("pgic", sa.Integer(), nullable=True),
        sa.Column(
            "source",
            sa.Enum(
                "clinic", "phone", "diary", name="source", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("nrs BETWEEN 0 AND 10", name=op.f("ck_followups_nrs_range")),
        sa.CheckConstraint(
            "odi IS NULL OR odi BETWEEN 0 AND 100", name=op.f("ck_followups_odi_range")
        ),
        sa.CheckConstraint(
            "pgic IS NULL OR pgic BETWEEN 1 AND 7", name=op.f("ck_followups_pgic_range")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_followups_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["procedure_id"],
            ["procedures.id"],
            name=op.f("fk_followups_procedure_id_procedures"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_followups")),
    )
    with op.batch_alter_table("followups", schema=None) as batch_op:
        batch_op.create_index(
            "ix_followups_patient_id_followed_on", ["patient_id", "followed_on"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_followups_procedure_id"), ["procedure_id"], unique=False
        )

    op.create_table(
        "lesions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("procedure_id", sa.Integer(), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("target_nerve", sa.String(length=64), nullable=False),
        sa.Column(
            "side",
            sa.Enum("left", "right", name="side", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("performed", sa.Boolean(), nullable=False),
        sa.Column("gauge", sa.Integer(), nullable=True),
        sa.Column("tip_length_mm", sa.Double(), nullable=True),
        sa.Column("set_temperature_c", sa.Double(), nullable=True),
        sa.Column("duration_s", sa.Double(), nullable=True),
        sa.Column(
            "placement",
            sa.Enum(
                "parallel",
                "oblique",
                "perpendicular",
                name="placement",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("sensory_threshold_v", sa.Double(), nullable=True),
        sa.Column(
            "sensory_response",
            sa.Enum(
                "concordant",
                "discordant",
                "radicular",
                "none",
                name="sensory_response",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column(
            "motor_response",
            sa.Enum(
                "none",
                "multifidus",
                "limb",
                name="motor_response",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("motor_test_voltage_v", sa.Double(), nullable=True),
        sa.Column("local_anaesthetic_given", sa.Boolean(), nullable=False),
        sa.Column("impedance_ohm", sa.Double(), nullable=True),
        sa.Column("power_w", sa.Double(), nullable=True),
        sa.Column("gate_proceed", sa.Boolean(), nullable=False),
        sa.Column(
            "gate_findings",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("override_reason", sa.Text(), nullable=True),
        sa.Column("override_by_id", sa.Integer(), nullable=True),
        sa.Column("override_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "override_reason IS NULL OR override_by_id IS NOT NULL",
            name=op.f("ck_lesions_override_has_author"),
        ),
        sa.ForeignKeyConstraint(
            ["override_by_id"],
            ["users.id"],
            name=op.f("fk_lesions_override_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["procedure_id"],
            ["procedures.id"],
            name=op.f("fk_lesions_procedure_id_procedures"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lesions")),
        sa.UniqueConstraint("procedure_id", "ordinal", name="uq_lesions_procedure_id_ordinal"),
    )
    with op.batch_alter_table("lesions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lesions_procedure_id"), ["procedure_id"], unique=False)

    _create_audit_triggers()


def downgrade() -> None:
    _drop_audit_triggers()
    with op.batch_alter_table("lesions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lesions_procedure_id"))

    op.drop_table("lesions")
    with op.batch_alter_table("followups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_followups_procedure_id"))
        batch_op.drop_index("ix_followups_patient_id_followed_on")

    op.drop_table("followups")
    op.drop_table("discharges")
    with op.batch_alter_table("complications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_complications_procedure_id"))
        batch_op.drop_index(batch_op.f("ix_complications_patient_id"))

    op.drop_table("complications")
    with op.batch_alter_table("procedures", schema=None) as batch_op:
        batch_op.drop_index("ix_procedures_performer_id_performed_at")
        batch_op.drop_index(batch_op.f("ix_procedures_patient_id"))

    op.drop_table("procedures")
    with op.batch_alter_table("care_trials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_care_trials_patient_id"))

    op.drop_table("care_trials")
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plans_patient_id"))

    op.drop_table("plans")
    with op.batch_alter_table("medications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_medications_patient_id"))

    op.drop_table("medications")
    with op.batch_alter_table("diagnostic_blocks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_diagnostic_blocks_patient_id"))

    op.drop_table("diagnostic_blocks")
    with op.batch_alter_table("conditions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conditions_patient_id"))

    op.drop_table("conditions")
    op.drop_table("specialists")
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.drop_index("ix_patients_given_key")
        batch_op.drop_index("ix_patients_family_key_given_key")

    op.drop_table("patients")
    op.drop_table("users")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_ts"))
        batch_op.drop_index("ix_audit_event_patient_ts")
        batch_op.drop_index("ix_audit_event_actor_ts")

    op.drop_table("audit_event")


_MESSAGE = "audit_event is append-only"


def _create_audit_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION rhizo_audit_event_immutable() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{_MESSAGE}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER trg_audit_event_immutable BEFORE UPDATE OR DELETE ON audit_event "
            "FOR EACH ROW EXECUTE FUNCTION rhizo_audit_event_immutable()"
        )
        op.execute(
            "CREATE TRIGGER trg_audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
            "FOR EACH STATEMENT EXECUTE FUNCTION rhizo_audit_event_immutable()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER trg_audit_event_no_{verb.lower()} BEFORE {verb} ON audit_event "
                f"BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END"
            )


def _drop_audit_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS trg_audit_event_no_truncate ON audit_event")
        op.execute("DROP TRIGGER IF EXISTS trg_audit_event_immutable ON audit_event")
        op.execute("DROP FUNCTION IF EXISTS rhizo_audit_event_immutable()")
    else:
        op.execute("DROP TRIGGER IF EXISTS trg_audit_event_no_update")
        op.execute("DROP TRIGGER IF EXISTS trg_audit_event_no_delete")
