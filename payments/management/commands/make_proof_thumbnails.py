"""Make the WebP thumbnail of every stored proof that has none (issue 15).

New proofs get theirs at submit; this fills in the ones submitted before, once
after deploying, and is safe to run again (it skips payments that have one, and
each payment is saved alone, so an interrupted run just resumes). A command,
not a data migration: it reads every proof through the storage, which may be
S3, and a migration should not wait on that or fail a deploy over one bad file.
"""

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand

from payments.images import thumbnail_of_stored_proof
from payments.models import Payment
from portal.db import atomic
from portal.storage import private_storage, unguessable_name


class Command(BaseCommand):
    help = "Make the missing thumbnails of payment proofs."

    def handle(self, *args, **options):
        storage = private_storage()
        made = failed = 0
        missing = Payment.objects.exclude(proof="").filter(proof_thumbnail="")
        for payment in missing.only("pk", "proof").iterator():
            try:
                with payment.proof.open("rb") as handle:
                    thumbnail = thumbnail_of_stored_proof(handle)
            except (OSError, ValidationError) as error:
                failed += 1
                self.stderr.write(f"payment {payment.pk}: {error}")
                continue
            name = storage.save(
                unguessable_name("proofs", "thumb.webp"), ContentFile(thumbnail)
            )
            with atomic():
                # Another run (or an account deletion) may have got there first.
                won = Payment.objects.filter(
                    pk=payment.pk, proof_thumbnail="", proof=payment.proof.name
                ).update(proof_thumbnail=name)
            if won:
                made += 1
            else:
                storage.delete(name)
        self.stdout.write(f"Made {made} thumbnails; {failed} proofs could not be read.")
