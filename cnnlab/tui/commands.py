"""The command palette's provider: every key binding of the current screen, by its description.

Built from the active bindings rather than a second list, so a new key is in the palette the
moment it is bound and the two can never disagree.
"""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider


class ActionsProvider(Provider):
    """Offers each described binding of the screen the palette was opened on."""

    def _actions(self) -> list[tuple[str, str, str]]:
        seen: set[str] = set()
        found: list[tuple[str, str, str]] = []
        for key, active in self.screen.active_bindings.items():
            binding = active.binding
            if not binding.description or not active.enabled or binding.action in seen:
                continue
            seen.add(binding.action)
            keys = binding.key_display or key
            found.append((binding.description, binding.action, keys))
        return found

    async def _run(self, action: str) -> None:
        # Bindings may belong to the screen or the app; the screen resolves both.
        await self.screen.run_action(action)

    async def discover(self) -> Hits:
        for description, action, keys in self._actions():
            yield DiscoveryHit(description, partial(self._run, action), help=f"key: {keys}")

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for description, action, keys in self._actions():
            score = matcher.match(description)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(description),
                    partial(self._run, action),
                    text=description,
                    help=f"key: {keys}",
                )
