"""A person's change of email, phone or handles with the real ingest: ingest's linked set
follows the card, old values go free, and a failed commit after the claim is mended."""

from __future__ import annotations

import asyncio
import hashlib
import uuid

import asyncpg

from .with_ingest import Both


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def mail(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}@example.no"


async def test_a_new_email_frees_the_old_one_for_another_customer(crm: Both) -> None:
    old, new = mail("kari"), mail("kari.n")
    kari = await crm.create(name="Kari", email=old, phone="+4741234567")
    changed = await crm.customers.call("PUT", f"/api/customers/{kari}", json={"email": new})
    assert changed.status_code == 200, changed.text
    assert changed.json()["email"] == new
    # The old address may be given to a new customer; its events (and its hash's) are
    # theirs; Kari keeps the new address and the phone.
    ola = await crm.create(name="Ola", email=old)
    assert await crm.event({"email": old}) == ola
    assert await crm.event({"email_sha256": sha(old)}) == ola
    assert await crm.event({"email": new}) == kari
    assert await crm.event({"phone": "+4741234567"}) == kari
    # A cleared phone is released too: an event with it is somebody new.
    cleared = await crm.customers.call("PUT", f"/api/customers/{kari}", json={"phone": None})
    assert cleared.status_code == 200, cleared.text
    assert await crm.event({"phone": "+4741234567"}) not in (kari, ola)


async def test_a_change_racing_an_event_with_the_old_email_leaves_one_holder_shown_on_its_card(
    crm: Both,
) -> None:
    raced: list[tuple[str, str, str, str]] = []
    for round_ in range(8):
        old, new = mail(f"r{round_}"), mail(f"r{round_}.new")
        kari = await crm.create(name=f"Kari {round_}", email=old)
        changed, resolved = await asyncio.gather(
            crm.customers.call("PUT", f"/api/customers/{kari}", json={"email": new}),
            crm.event({"email": old}),
        )
        assert changed.status_code == 200, changed.text
        raced.append((kari, old, new, resolved))
    for kari, old, new, resolved in raced:
        # Whoever holds the old address now (if anyone) is not Kari, and an event with it
        # finds that one holder again.
        holder = await crm.event({"email": old})
        assert holder != kari
        if resolved != kari:
            assert holder == resolved
        kari_card = await crm.card(kari, lambda card, new=new: card.get("email") == new)
        assert kari_card["email"] == new
        holder_card = await crm.card(holder, lambda card, old=old: card.get("email") == old)
        assert holder_card["email"] == old


async def test_a_commit_failing_after_the_claim_claims_the_committed_set_again(crm: Both) -> None:
    old, refused = mail("kari"), mail("refused")
    kari = await crm.create(name="Kari", email=old)
    await refuse_at_commit(crm.database, f"NEW.email = '{refused}'")
    failed = await crm.customers.call("PUT", f"/api/customers/{kari}", json={"email": refused})
    assert failed.status_code >= 500
    card = await crm.customers.call("GET", f"/api/customers/{kari}")
    assert card.json()["email"] == old
    # Ingest agrees with the card: the old address is Kari's, the refused one nobody's.
    assert await crm.event({"email": old}) == kari
    assert await crm.event({"email": refused}) != kari


async def test_a_creation_whose_commit_fails_after_the_claim_releases_what_it_claimed(
    crm: Both,
) -> None:
    email, phone = mail("kari"), "+4741234599"
    await refuse_at_commit(crm.database, "NEW.name = 'Refused'")
    fields = {"name": "Refused", "email": email, "phone": phone}
    failed = await crm.customers.call("POST", "/api/customers", json=fields, key="create-1")
    assert failed.status_code >= 500
    listed = await crm.customers.call("GET", "/api/customers")
    assert listed.json()["items"] == []
    # Ingest holds nothing for the customer that does not exist: both values may be given to
    # customers created now (a held one would be 409), and events with them find those.
    kari = await crm.create(name="Kari", email=email)
    ola = await crm.create(name="Ola", phone=phone)
    assert await crm.event({"email": email}) == kari
    assert await crm.event({"phone": phone}) == ola


async def refuse_at_commit(database: str, condition: str) -> None:
    """PostgreSQL refuses a customer row meeting `condition` at commit time (a deferred
    constraint trigger): ingest took the claim, the customers service's commit fails."""
    conn = await asyncpg.connect(database)
    try:
        await conn.execute(
            f"""
            CREATE FUNCTION refuse_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF {condition} THEN
                    RAISE EXCEPTION 'refused at commit';
                END IF;
                RETURN NEW;
            END $$;
            CREATE CONSTRAINT TRIGGER refuse_at_commit AFTER INSERT OR UPDATE ON customers
                DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_at_commit();
            """
        )
    finally:
        await conn.close()
