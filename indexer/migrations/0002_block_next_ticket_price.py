"""Block.next_ticket_price: the price a purchase in the next block pays (the node's
getticketprice at that tip), so the explorer shows the new price as soon as a window closes."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("indexer", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="block",
            name="next_ticket_price",
            field=models.BigIntegerField(
                default=0, help_text="price for the next block's buys (0: indexed before 0002)"
            ),
        ),
    ]
