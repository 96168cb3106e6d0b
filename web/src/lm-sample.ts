/**
 * The language model's built-in training text: a short play in verse written for this page
 * (no source text; free to use). A few thousand characters is enough for a tiny GPT to learn
 * the speaker headings, the line breaks and common words in a minute of training.
 */
export const SAMPLE_TEXT = `THE LANTERN KEEPER

MARA:
The tide is high and still the lamp is dark.
Who let the oil run low upon the stair?

TOBIN:
Not I, good sister. I was at the nets
from dawn until the gulls went home to sleep,
and came back wet and hungry to the door.

MARA:
Then who? The wind has hands, but not for oil.
The ships are out, and every one of them
will look for us before the night is old.

TOBIN:
Then let us climb. I'll bring the flask, you bring
the wick and flint, and we will light it still.

OLD WREN:
Stay, children, stay. I took the oil at noon
to warm the bread and mend the broken pot.
I thought the sun would hold a little more.

MARA:
The sun holds nothing, grandmother. It goes
and leaves the sea to those who keep the light.

OLD WREN:
Then keep it, and forgive an old woman
who counts the loaves before she counts the ships.

TOBIN:
Forgiven, and forgotten, if we run.
Come, Mara, climb. The stair is long and cold.

MARA:
I climb. And as I climb I count the steps:
one for the boat that carried father home,
one for the boat that did not, and the rest
for every sailor waiting on the sea.

TOBIN:
The flask is full. The wick is dry. Strike now.

MARA:
It takes. It burns. Look out across the water!

TOBIN:
I see them: three white sails, and then a fourth,
all turning in toward the harbour wall.

OLD WREN:
Then we have done our work, and done it late,
but late is better than the dark at sea.

MARA:
Tomorrow I will keep the oil myself,
and lock the flask, and hide the key from bread.

TOBIN:
And I will mend the pot, so no one needs
to steal the light to cook the evening meal.

OLD WREN:
Good children. Now come down and eat with me.
The fire is small, but it will do for three.

MARA:
The lamp will keep the watch. We keep the house.
Good night to every sailor on the sea.

TOBIN:
Good night, good tide, good wind, and a good morning.

THE END
`;
