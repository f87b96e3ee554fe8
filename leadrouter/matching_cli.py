"""`leadrouter matching-model`: refit the lead-to-patient model on unlabelled simulated records."""

from __future__ import annotations

import json

import click


@click.command("matching-model")
@click.option("--write/--no-write", default=False, help="Replace router/matching/model.json with the fit.")
@click.option("--seed", default=None, type=int, help="Seed of the unlabelled records (not the evaluation's).")
def matching_model_command(write: bool, seed: int | None) -> None:
    """Fit m/u by EM on unlabelled simulated leads and patients; print the weights as Markdown."""
    from router.matching.linkage import MODEL_PATH, estimate_model
    from router.matching.weights import weights_table
    from simulator.patient_links import EVALUATION_SEED, TRAINING_SEED, unlabelled_records

    if seed == EVALUATION_SEED:
        raise click.ClickException("that seed is the evaluation set's; pick another")
    leads, patients = unlabelled_records(seed=seed or TRAINING_SEED)
    model = estimate_model(leads, patients)
    if write:
        MODEL_PATH.write_text(json.dumps(model, indent=1) + "\n")
    click.echo(weights_table(model))


MATCHING_COMMANDS = (matching_model_command,)
