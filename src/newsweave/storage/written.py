"""A model writer's answers, kept so the same input re-renders without asking again."""

from __future__ import annotations

from newsweave.storage.base import StoreBase, _check_json, _now


class WrittenQueries(StoreBase):
    """A model writer's cached answers (docs/writer.md)."""

    def written(self, story_version: str, model: str, prompt_version: str) -> str | None:
        """A model's stored answer for this story version, model and prompt, or None."""
        with self._reading() as conn:
            row = conn.execute(
                "SELECT answer_json FROM written_sentences "
                "WHERE story_version = ? AND model = ? AND prompt_version = ?",
                (story_version, model, prompt_version),
            ).fetchone()
        return None if row is None else row["answer_json"]

    def save_written(
        self, story_version: str, model: str, prompt_version: str, answer: str
    ) -> None:
        """Keep a model's answer (JSON text), replacing any under the same key."""
        _check_json(answer, "a written answer")
        with self._transaction("save a written answer") as conn:
            conn.execute(
                "INSERT INTO written_sentences "
                "(story_version, model, prompt_version, answer_json, created_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (story_version, model, prompt_version)"
                " DO UPDATE SET answer_json = excluded.answer_json,"
                " created_at = excluded.created_at",
                (story_version, model, prompt_version, answer, _now()),
            )
