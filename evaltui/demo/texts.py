"""The words of the sample logs: slot values, customer messages per topic and intent,
replies of each quality, follow-ups, and the judge's and humans' rationales.

Data only; ``evaltui.demo.generate`` draws from it with a seeded random generator.
Changing anything here changes the generated logs: regenerate ``sample_logs/`` with it.
"""

from __future__ import annotations

# --------------------------------------------------------------------------- slot values

_PRODUCTS = (
    "Alder oak side table",
    "linen duvet cover (queen)",
    "10-inch cast-iron skillet",
    "merino wool throw",
    "Fjord ceramic dinner set",
    "bamboo bath mat",
    "Halden floor lamp",
    "copper-core saucepan",
    "walnut cutting board",
    "Nordby 3-seat sofa",
    "stoneware mixing bowls",
    "rattan laundry basket",
    "cedar raised garden bed",
    "Ember electric kettle",
    "velvet cushion covers",
    "enamel Dutch oven",
    "teak outdoor chair",
    "washed cotton sheet set",
    "Lumen bedside lamp",
    "glass pour-over set",
    "Solstice patio umbrella",
    "wool area rug 5x8",
    "chef's knife 8-inch",
    "Marlow bookshelf",
    "blackout curtains",
    "oak bar stools (set of 2)",
    "herb planter trio",
    "cold brew coffee maker",
    "waffle-weave bath towels",
    "Brae dining chairs",
)
_FURNITURE = (
    "Alder oak side table",
    "Nordby 3-seat sofa",
    "Marlow bookshelf",
    "oak bar stools (set of 2)",
    "Brae dining chairs",
    "teak outdoor chair",
    "Halden floor lamp",
)
_WOODEN = (
    "Alder oak side table",
    "Marlow bookshelf",
    "oak bar stools (set of 2)",
    "Brae dining chairs",
    "walnut cutting board",
    "Alder oak coffee table",
)
_COOKWARE = (
    "10-inch cast-iron skillet",
    "copper-core saucepan",
    "enamel Dutch oven",
    "tri-ply stainless frying pan",
    "Fjord ceramic baking dish",
)
_CARRIERS = ("UPS", "FedEx", "USPS", "DHL", "OnTrac")
_FIRST_NAMES = (
    "Maya",
    "Jordan",
    "Priya",
    "Luis",
    "Hannah",
    "Omar",
    "Chloe",
    "Ben",
    "Aisha",
    "Tomás",
    "Grace",
    "Daniel",
    "Yuki",
    "Sam",
    "Fatima",
    "Leo",
    "Ingrid",
    "Marcus",
    "Zoe",
    "Ravi",
    "Elena",
    "Noah",
    "Amara",
    "Kevin",
    "Sofia",
    "Ethan",
    "Mei",
    "Diego",
    "Nora",
    "Isaac",
)
_EMAIL_DOMAINS = ("gmail.com", "outlook.com", "yahoo.com", "icloud.com", "proton.me", "hey.com")
_CITIES = (
    "Portland",
    "Austin",
    "Denver",
    "Chicago",
    "Raleigh",
    "Boston",
    "Tucson",
    "Madison",
    "Sacramento",
    "Pittsburgh",
    "Boise",
    "Richmond",
)
_PROMOS = ("WELCOME15", "COZY20", "FALLHOME", "FRIENDS10", "HARVEST25", "FREESHIP")
_SIZES = ("queen", "king", "twin", "full", "small", "large")
_COLORS = ("sage", "oat", "charcoal", "terracotta", "ivory", "navy")

# --------------------------------------------------------------------------- customer text

_OPENINGS = {
    "neutral": ("Hi,", "Hello,", "Hi there.", "Hey,", "Good morning,", "", "", "Hi Juno,"),
    "angry": (
        "This is ridiculous.",
        "I am absolutely furious.",
        "Seriously, what is going on?",
        "I'm sick of this.",
        "Unbelievable.",
        "This is the worst service I've had all year.",
        "I'm so angry right now.",
        "Are you kidding me?",
    ),
    "panicked": (
        "Please help, this is urgent!",
        "I'm panicking a bit here -",
        "HELP please!!",
        "Oh no, I need help fast.",
        "Urgent:",
        "I'm really stressed out,",
        "Please please help me,",
        "I need this fixed ASAP -",
    ),
    "confused": (
        "Sorry, I'm a bit lost.",
        "I'm confused -",
        "Not sure if I'm doing this right, but",
        "Hmm, I don't really understand what's going on.",
        "Quick question, I'm confused:",
        "Sorry if this is a dumb question,",
        "I can't figure this out.",
    ),
    "sarcastic": (
        "Oh great, another fun day with Juniper Lane.",
        "Wow, love this for me.",
        "Fantastic service as always.",
        "Well, this is just perfect.",
        "Amazing how this keeps happening.",
        "Love the 'premium' experience so far.",
    ),
    "grateful": (
        "Hi! Thanks so much for your help.",
        "Hello and thank you in advance!",
        "Hi Juno, hope you're having a good day!",
        "Hi team, you've always been great,",
        "Thank you for being so helpful last time!",
        "Hi there, really appreciate this,",
    ),
}
_CLOSINGS = {
    "neutral": ("Thanks.", "Thank you.", "", "", "Thanks in advance.", "Let me know."),
    "angry": (
        "Fix this now.",
        "I want this sorted today or I'm done with you.",
        "This is completely unacceptable.",
        "I expect a real answer, not a script.",
        "Don't make me ask again.",
        "I'm about to leave a 1-star review.",
    ),
    "panicked": (
        "I need it by {edate}!!",
        "Please hurry, I'm really worried.",
        "What do I do?? Please respond quickly.",
        "I really can't afford for this to go wrong.",
        "Please tell me this can be fixed today!",
        "I'm freaking out a little.",
    ),
    "confused": (
        "What am I supposed to do?",
        "Can you explain what happens next?",
        "I don't get it.",
        "Is that normal?",
        "Am I missing something?",
        "Could you walk me through it?",
    ),
    "sarcastic": (
        "Can't wait to hear the excuse.",
        "Really looking forward to your scripted reply.",
        "Surely this time it'll be different.",
        "Take your time, it's not like I need it.",
        "Go on, impress me.",
    ),
    "grateful": (
        "Thank you so much!",
        "Really appreciate your help 🙏",
        "Thanks a million!",
        "You're the best, thank you.",
        "Thanks so much in advance!",
    ),
}

# intent -> (customer cores, optional details, good reply bodies, recovery-step bodies)
_INTENTS: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
    "shipping_and_delivery": {
        "where_is_my_order": {
            "ask": (
                "Where is my order {order}? I placed it on {odate}.",
                "I ordered the {product} on {odate} and I have no idea where it is.",
                "Can you tell me the status of order {order}?",
                "My package with the {product} hasn't shown up yet. Order {order}.",
                "How do I track my order? The number is {order}.",
            ),
            "detail": (
                "The tracking page just says 'label created'.",
                "I haven't received any shipping email.",
                "It's a gift so I'm checking on it.",
                "The {carrier} link in the email doesn't load.",
            ),
            "good": (
                "I checked order {order}: your {product} left our warehouse and is with {carrier} "
                "(tracking {track}). It's due on {edate}. I'll also resend the tracking email to "
                "{email} so you can follow it live.",
                "Good news - order {order} shipped and {carrier} expects to deliver it on {edate}. "
                "Here's the tracking number: {track}. If it hasn't moved by {edate}, reply here and "
                "I'll open a trace with the carrier right away.",
            ),
        },
        "delayed_delivery": {
            "ask": (
                "My order {order} was supposed to arrive on {odate} and it's still not here.",
                "The delivery date for my {product} keeps getting pushed back.",
                "Tracking for {order} hasn't updated in {days} days.",
                "{carrier} says my package is delayed. Order {order}, the {product}.",
                "Why is my delivery late? It's been {days} days since it shipped.",
            ),
            "detail": (
                "I needed it for a dinner this weekend.",
                "It's been stuck in {city} for days.",
                "The status just says 'in transit'.",
                "I paid for express shipping.",
            ),
            "good": (
                "I'm sorry your {product} is running late. {carrier} has a backlog in your region, "
                "and order {order} is now expected on {edate}. I've flagged it for priority handling, "
                "and if it isn't with you by then I'll send a replacement or refund the shipping - "
                "just reply to this thread.",
                "You're right to ask - tracking {track} stalled at the {city} hub. I've opened a trace "
                "with {carrier}; they usually respond within 24 hours. I'll email {email} as soon as "
                "I hear back, and if you paid for express I'll refund the $12.95 difference.",
            ),
        },
        "delivered_not_received": {
            "ask": (
                "Tracking says order {order} was delivered but there's nothing here.",
                "It says my {product} was delivered on {odate} but I never got it.",
                "{carrier} marked my package as delivered, but it's not at my door.",
                "My order {order} shows 'delivered' and I've searched everywhere.",
            ),
            "detail": (
                "I checked with my neighbours and the building office.",
                "There's no photo of the delivery.",
                "I was home all day.",
                "The delivery address is correct in my account.",
            ),
            "good": (
                "I'm really sorry - that's stressful. Sometimes {carrier} marks a parcel delivered up to "
                "a day early, so please check around the building once more today. If it's still "
                "missing tomorrow, reply here and I'll ship a replacement {product} or refund you in "
                "full, whichever you prefer.",
                "Thanks for checking with your neighbours already. I've opened a missing-parcel claim "
                "for order {order} with {carrier} (reference {track}). You don't need to wait for "
                "their result: I can send a replacement today. Would you like that, or a refund?",
            ),
        },
        "shipping_options": {
            "ask": (
                "How much is shipping for an order of about {amount}?",
                "Do you offer express delivery? I need the {product} by {edate}.",
                "What are the shipping options to {city}?",
                "Is shipping free if I spend over a certain amount?",
            ),
            "detail": (
                "I'm trying to decide between standard and express.",
                "It's for a housewarming gift.",
                "The checkout page didn't show me the options clearly.",
            ),
            "good": (
                "Standard shipping is free on orders over $50 and takes 3-5 business days. Express "
                "(1-2 business days) is $12.95 - if you order the {product} by 2pm today with express, "
                "it should reach {city} by {edate}.",
                "Happy to help you pick! Your order qualifies for free standard shipping (3-5 business "
                "days). If you need it sooner, express is $12.95 and arrives in 1-2 business days. "
                "You can choose either on the last step of checkout.",
            ),
        },
        "international_shipping": {
            "ask": (
                "Do you ship to Canada? I want to order the {product}.",
                "Can I get my order {order} shipped to my sister in the UK?",
                "Do you deliver outside the US? And who pays customs?",
                "I'm moving abroad next month - can you ship the {product} internationally?",
            ),
            "detail": (
                "I couldn't find the info on your website.",
                "I'd be happy to pay extra for shipping.",
                "It's a present for my parents.",
            ),
            "good": (
                "We ship to Canada, the UK and most of the EU. International orders take 7-12 "
                "business days and duties are calculated at checkout, so there are no surprises at "
                "the door. Just pick the country in the address form and you'll see the exact cost.",
                "Great question! We deliver to over 30 countries; for the {product} shipping is shown "
                "at checkout once you enter the address, and customs are prepaid there too. If you "
                "tell me the country I can check the estimate for you now.",
            ),
        },
    },
    "refunds_and_returns": {
        "start_return": {
            "ask": (
                "How do I return the {product}? It's not what I expected.",
                "I'd like to return order {order}.",
                "The {product} doesn't fit in my space, can I send it back?",
                "I want to return part of order {order} - just the {product}.",
                "What's the process for returning something I bought on {odate}?",
            ),
            "detail": (
                "It's unused and still in the box.",
                "I already threw away the original packaging, is that a problem?",
                "The colour looks different from the photos.",
                "I ordered two by mistake.",
            ),
            "good": (
                "Of course - you're well within our 30-day window. I've emailed a free prepaid "
                "{carrier} label to {email}; pack the {product} in any sturdy box and drop it off. "
                "Your refund of {amount} goes back to your card 5-7 business days after we scan it.",
                "No problem at all. Go to Orders > {order} > Return item, choose the {product}, and "
                "you'll get a free return label straight away. Original packaging isn't needed. I'll "
                "keep an eye on it and the refund will follow once it's scanned at our warehouse.",
            ),
        },
        "refund_not_received": {
            "ask": (
                "I returned the {product} weeks ago and still haven't got my refund.",
                "Where is my refund for order {order}? It's been {days} days.",
                "You received my return on {odate} but the {amount} hasn't hit my account.",
                "My refund still isn't showing up. Order {order}.",
            ),
            "detail": (
                "The tracking shows you got the parcel.",
                "I paid with a credit card ending {last4}.",
                "Nobody has replied to my email about it.",
            ),
            "good": (
                "I'm sorry for the wait. Your return for order {order} was scanned on {odate} and the "
                "refund of {amount} was issued the same day to the card ending {last4}. Banks take "
                "5-7 business days to post it; if it's not there by {edate}, reply here and I'll send "
                "you the refund reference to share with your bank.",
                "Thanks for your patience. I can see the refund of {amount} for the {product} was "
                "processed, but it was held for a manual check - I've released it now, so it should "
                "reach the card ending {last4} within 5 business days. I'll email {email} a "
                "confirmation too.",
            ),
        },
        "damaged_item": {
            "ask": (
                "My {product} arrived broken.",
                "The {product} from order {order} came damaged - there's a big crack.",
                "Half the {product} was smashed when I opened the box.",
                "I received a dented {product}. What can you do?",
            ),
            "detail": (
                "The box looked like it had been dropped.",
                "I have photos.",
                "It was a gift and I'm embarrassed.",
            ),
            "good": (
                "I'm so sorry it arrived like that - that's not the Juniper Lane experience we want. "
                "I've ordered a replacement {product} at no cost; it ships today with express delivery "
                "and should arrive by {edate}. No need to send the damaged one back.",
                "Oh no, I'm really sorry. If you can reply with a photo of the damage, I'll send a "
                "replacement straight away or refund the {amount} in full - your choice. You don't "
                "need to return the broken item.",
            ),
        },
        "wrong_item": {
            "ask": (
                "I got the wrong item in order {order}. I ordered the {product}.",
                "You sent me a completely different product.",
                "My order {order} had the wrong colour - I ordered {color} and got something else.",
                "The box had someone else's order in it.",
            ),
            "detail": (
                "The packing slip says the right thing though.",
                "I need the correct one soon.",
                "Do I have to pay to send this back?",
            ),
            "good": (
                "I'm sorry about the mix-up! I've sent the correct {color} {product} with express "
                "shipping - it should arrive by {edate}. I've also emailed a free return label for the "
                "wrong item; there's no rush to send it back.",
                "That's on us, and I apologise. The right {product} is on its way (tracking {track} "
                "will be active tonight). Please keep the other item until the label I've emailed to "
                "{email} arrives - return shipping is free.",
            ),
        },
        "return_window": {
            "ask": (
                "Can I still return something I bought on {odate}?",
                "How long do I have to return the {product}?",
                "Is it too late to return order {order}?",
                "What's your return policy on furniture like the {product}?",
            ),
            "detail": (
                "I was travelling and only just opened it.",
                "I haven't used it.",
                "It was a gift from my aunt.",
            ),
            "good": (
                "You have 30 days from delivery to return anything, including furniture, and the "
                "return label is free. Your order {order} was delivered on {odate}, so you're still "
                "within the window - you can start the return from your Orders page any time.",
                "Our return window is 30 days from delivery. Good news: you're still inside it for "
                "the {product}. Start the return under Orders > {order} and you'll get a prepaid label "
                "right away.",
            ),
        },
        "exchange": {
            "ask": (
                "Can I exchange the {product} for a different size? I need {size}.",
                "I'd like to swap the {color} {product} for another colour.",
                "Can I exchange instead of returning order {order}?",
                "The {product} is too small, can I trade it for the {size} one?",
            ),
            "detail": (
                "I'd rather not wait for a refund and reorder.",
                "The {size} is in stock on the site.",
                "I still have the box.",
            ),
            "good": (
                "Absolutely - I've set up an exchange for the {size} {product}. It ships today, and a "
                "prepaid label for the original is in your inbox at {email}. No extra charge.",
                "Yes, happy to! The {size} is in stock, so I've reserved one for you. Send the "
                "original back with the free label I've emailed and the new one ships as soon as it's "
                "scanned - or today if you'd like me to send it first.",
            ),
        },
    },
    "product_questions": {
        "dimensions_specs": {
            "products": _FURNITURE,
            "ask": (
                "What are the exact dimensions of the {product}?",
                "Will the {product} fit through a 30-inch doorway?",
                "How heavy is the {product}?",
                "Can you tell me the size of the {product} before I order?",
            ),
            "detail": (
                "The listing only shows a photo.",
                "My apartment is pretty small.",
                "I'm comparing it with another one.",
            ),
            "good": (
                "The {product} measures 24 x 18 x 30 inches and weighs 21 lb, so it'll fit through a "
                "30-inch doorway comfortably. The full spec sheet is under 'Details' on the product "
                "page - let me know if you'd like me to email it.",
                "Great question! The {product} is 36 inches wide and 16 inches deep, and it ships "
                "flat-packed in a 38-inch box. If you tell me your space, I'm happy to double-check "
                "the fit with you.",
            ),
        },
        "materials_care": {
            "products": _WOODEN,
            "ask": (
                "What is the {product} made of?",
                "Is the finish on the {product} non-toxic?",
                "How do I clean the {product}?",
                "Is the {product} safe for pets and kids?",
            ),
            "detail": (
                "I have allergies, so I need to know.",
                "The care label is a bit vague.",
                "I want it to last.",
            ),
            "good": (
                "The {product} is made from FSC-certified solid wood with a water-based, non-toxic "
                "finish, so it's safe around kids and pets. Wipe it with a damp cloth and avoid "
                "harsh sprays - the care card in the box has the details too.",
                "Happy to help! The {product} is solid oak with a natural oil finish - no VOC lacquers. "
                "Dust it with a dry cloth, wipe spills straight away, and re-oil it once a year with "
                "the sachet in the box; it'll last for decades.",
            ),
        },
        "stock_restock": {
            "ask": (
                "When will the {product} be back in stock?",
                "Is the {color} {product} coming back?",
                "The {product} has been sold out for weeks. Any restock date?",
                "Can I pre-order the {product}?",
            ),
            "detail": (
                "I've been waiting for the {color} one.",
                "I want to buy two.",
                "It's for a gift on {edate}.",
            ),
            "good": (
                "The {color} {product} is due back on {edate}. I've added {email} to the restock list "
                "so you'll get an email the moment it's available - and you can pre-order from the "
                "product page now to hold one.",
                "Thanks for your patience! Our next shipment of the {product} lands around {edate}. "
                "Tap 'Notify me' on the product page and you'll be first to know.",
            ),
        },
        "compatibility": {
            "products": _COOKWARE,
            "ask": (
                "Does the {product} work on an induction hob?",
                "Is the {product} oven safe?",
                "Can I use metal utensils with the {product}?",
                "Will the {product} work on my glass-top stove?",
            ),
            "detail": (
                "I don't want to buy the wrong thing.",
                "The reviews say different things.",
                "I already own a few pieces from you.",
            ),
            "good": (
                "Yes - the {product} works on induction, gas, electric and glass-top hobs, and it's "
                "oven safe up to 500F. Metal utensils are fine, though wooden ones keep the surface "
                "looking new for longer.",
                "Good question! The {product} is compatible with every hob including induction, and "
                "oven safe to 500F. Just avoid plunging it into cold water while it's hot.",
            ),
        },
        "warranty": {
            "products": _FURNITURE + _COOKWARE,
            "ask": (
                "Is there a warranty on the {product}?",
                "The {product} I bought last year is already falling apart. Is it covered?",
                "How do I make a warranty claim for the {product}?",
                "What does the warranty cover on cookware like the {product}?",
            ),
            "detail": (
                "I bought it around {odate} last year.",
                "I still have the receipt email.",
                "It's only been lightly used.",
            ),
            "good": (
                "Yes - furniture and cookware come with a 2-year warranty against manufacturing "
                "defects. Send me a photo of the issue and your order number and I'll arrange a repair "
                "kit or a replacement {product}.",
                "I'm sorry it's giving you trouble! That's covered by our 2-year warranty. I've opened warranty "
                "case {track}; reply with a photo and we'll ship a replacement part within 3 business "
                "days.",
            ),
        },
    },
    "account_and_login": {
        "password_reset": {
            "ask": (
                "I forgot my password and the reset email never came.",
                "How do I reset my password? My email is {email}.",
                "The password reset link says it's expired.",
                "I can't remember my password for {email}.",
                "Reset password isn't working for me.",
            ),
            "detail": (
                "I tried three times.",
                "I need to check on order {order}.",
                "I checked my inbox already.",
            ),
            "good": (
                "Sorry about the trouble - I've just sent a fresh reset link to {email}. It's valid "
                "for 30 minutes; if you don't see it, it may be in Promotions or Spam. I'm here if it "
                "doesn't turn up.",
            ),
            "steps": (
                "Here's how to reset your password:\n1. Go to junipelane.com/reset and enter {email}.\n"
                "2. Check your inbox and your spam/junk folder for an email from "
                "accounts@junipelane.com (it can take up to 10 minutes).\n3. Open the link within 30 "
                "minutes and choose a new password.\n4. If nothing arrives, reply here with your order "
                "number and I'll verify your identity and send a manual reset.",
                "Let's get you back in:\n1. Open the sign-in page and tap 'Forgot password'.\n2. Enter "
                "{email} and submit.\n3. Look for the reset email - check spam/junk and Promotions too.\n"
                "4. Use the link within 30 minutes (older links expire).\n5. Still stuck? Reply with the "
                "last 4 digits of the card on order {order} so I can verify you and reset it for you.",
            ),
        },
        "locked_out": {
            "ask": (
                "My account is locked after too many login attempts.",
                "I'm locked out of my account and can't see my orders.",
                "It says my account has been temporarily locked. Why?",
                "I can't log in at all - it says 'account locked'.",
            ),
            "detail": (
                "I need to track order {order}.",
                "I'm sure my password is right.",
                "I've been locked out since {odate}.",
            ),
            "good": (
                "I'm sorry you've been locked out - that's frustrating. I've unlocked the account for "
                "{email} now, and a reset link is on its way so you can set a fresh password.",
            ),
            "steps": (
                "Sorry you're locked out. To unlock your account:\n1. Wait 15 minutes after the last "
                "attempt - the lock lifts automatically.\n2. Then use 'Forgot password' and enter "
                "{email}.\n3. Check your inbox and spam folder for the reset link.\n4. Set a new "
                "password and sign in.\n5. If it's still locked, reply here and I'll verify your "
                "identity with order {order} and unlock it manually.",
                "Here's what to do:\n1. Don't try to sign in again for now (each try resets the lock "
                "timer).\n2. Request a reset link for {email}.\n3. Check spam/junk if it's not in your "
                "inbox within 10 minutes.\n4. Verify it's you with the 6-digit code we text to your "
                "phone.\n5. Choose a new password - you'll be signed straight in.",
            ),
        },
        "two_factor_codes": {
            "ask": (
                "I'm not getting the 2FA code by text.",
                "The verification code never arrives on my phone.",
                "My two-factor codes aren't coming through so I can't log in.",
                "I got a new phone number and now I can't get the login code.",
            ),
            "detail": (
                "I've tried resending it five times.",
                "My number ends in {last4}.",
                "I'm travelling abroad right now.",
            ),
            "good": (
                "Sorry about that - I've switched your verification codes to email for now, so the "
                "next code will go to {email}. You can change it back under Account > Security.",
            ),
            "steps": (
                "Let's get your code through:\n1. Check that your phone has signal and isn't blocking "
                "short codes.\n2. Wait 60 seconds, then tap 'Resend code' once (repeated requests "
                "cancel earlier codes).\n3. Choose 'Email me instead' to get the code at {email} - "
                "check spam too.\n4. If you changed numbers, reply here and I'll verify your identity "
                "and update the phone on file.",
                "Here's how to fix missing codes:\n1. On the code screen, tap 'Try another way'.\n2. "
                "Select email and check {email}, including spam/junk.\n3. Enter the 6-digit code "
                "within 10 minutes.\n4. Once in, go to Account > Security and update your phone "
                "number.\n5. Still nothing? Reply with your order number {order} and I'll verify you "
                "manually.",
            ),
        },
        "email_change": {
            "ask": (
                "How do I change the email on my account?",
                "I no longer have access to {email}. Can I change it?",
                "I want to update my login email to my work address.",
                "My old email is closed, how do I log in now?",
            ),
            "detail": (
                "All my orders are under that account.",
                "I still know my password.",
                "I don't want to lose my order history.",
            ),
            "good": (
                "No problem - I can help you move your account to a new email without losing any "
                "orders. Once you confirm the new address here, I'll send a confirmation link to it.",
            ),
            "steps": (
                "Here's how to change your email:\n1. Sign in and go to Account > Profile.\n2. Click "
                "'Change email' and enter the new address.\n3. Confirm with your current password.\n"
                "4. Open the confirmation link we send to the new address (check spam).\n5. If you "
                "can't access {email} anymore, reply here and I'll verify your identity with order "
                "{order} and update it for you.",
                "To update the login email:\n1. Go to Account > Security.\n2. Choose 'Update email'.\n"
                "3. Verify with the code sent to your phone ending {last4}.\n4. Click the link we email "
                "to your new address within 30 minutes.\nYour order history stays exactly as it is.",
            ),
        },
        "account_deletion": {
            "ask": (
                "Please delete my account and my data.",
                "How do I close my Juniper Lane account?",
                "I want you to remove all my personal information.",
                "Can I delete my account? I don't use it anymore.",
            ),
            "detail": (
                "I keep getting emails too.",
                "The account is under {email}.",
                "I'm worried about privacy.",
            ),
            "good": (
                "I understand, and I'm sorry to see you go. I've submitted a deletion request for "
                "{email}; you'll get a confirmation email, and everything is erased within 30 days.",
            ),
            "steps": (
                "Here's how to delete your account:\n1. Sign in and go to Account > Privacy.\n2. Click "
                "'Delete my account'.\n3. Confirm using the link we email to {email} (check spam).\n4. "
                "Your data is erased within 30 days; order records we must keep for tax are "
                "anonymised.\n5. If you can't sign in, reply here and I'll verify you and file the "
                "request for you.",
                "To close your account:\n1. Make sure there are no open orders or returns.\n2. Go to "
                "Account > Privacy > Delete account.\n3. Verify with the code we send to {email}.\n4. "
                "You'll receive a confirmation, and marketing emails stop immediately.",
            ),
        },
        "login_loop": {
            "ask": (
                "Every time I log in it just sends me back to the login page.",
                "The app keeps logging me out straight away.",
                "I sign in and it loops back to 'Sign in' again.",
                "Login works on my laptop but not in the app - it keeps looping.",
            ),
            "detail": (
                "I've tried two browsers.",
                "I cleared my cache already.",
                "This started on {odate}.",
            ),
            "good": (
                "Sorry about that loop - it's a known issue with an old saved session. I've signed "
                "out all devices on {email}, so the next sign-in will start fresh.",
            ),
            "steps": (
                "Let's break the loop:\n1. Sign out on all devices under Account > Security (or I can "
                "do it for you).\n2. Clear cookies for junipelane.com, or open a private window.\n3. "
                "Sign in again with {email}.\n4. If you use the app, update it to the latest version.\n"
                "5. Still looping? Reply here and I'll verify your account and reset your session.",
                "Here's the fix that works for most people:\n1. Close the app completely.\n2. Settings "
                "> Apps > Juniper Lane > Clear cache.\n3. Reopen and sign in with {email}.\n4. Approve "
                "the sign-in with the code we send.\n5. If it loops again, send me a screenshot and "
                "I'll escalate it to our web team.",
            ),
        },
    },
    "billing_and_payments": {
        "double_charge": {
            "ask": (
                "I was charged twice for order {order}.",
                "My card ending {last4} shows two charges of {amount}.",
                "Why did you take {amount} from my account twice?",
                "There's a duplicate charge for the {product}.",
            ),
            "detail": (
                "I only placed one order.",
                "My bank says both are pending.",
                "That's money I really need.",
            ),
            "good": (
                "I'm sorry for the worry. One of those {amount} charges is a pre-authorisation that "
                "drops off automatically within 3-5 business days; only one was captured for order "
                "{order}. If both are still there on {edate}, reply and I'll refund the duplicate "
                "immediately.",
                "You're right - the payment was captured twice on the card ending {last4}. I've "
                "refunded the duplicate {amount} just now; it will show on your statement within 5 "
                "business days. I'll email the refund receipt to {email}.",
            ),
        },
        "card_declined": {
            "ask": (
                "My card keeps getting declined at checkout.",
                "Payment failed for the {product} but my card works everywhere else.",
                "Why won't you accept my card ending {last4}?",
                "Checkout says 'payment declined' every time.",
            ),
            "detail": (
                "I have plenty of funds.",
                "I tried two different cards.",
                "The sale ends tonight.",
            ),
            "good": (
                "Sorry about that! Declines usually come from the billing address not matching the "
                "one your bank has on file - worth double-checking the ZIP code. You can also pay "
                "with PayPal or Apple Pay, and I'll hold the sale price on the {product} until {edate}.",
                "I can see the attempts and nothing on our side blocked them - the bank returned a "
                "'do not honor' code, which usually means a fraud check. A quick call to your bank "
                "will clear it, and your cart (including the {product}) is saved.",
            ),
        },
        "promo_code": {
            "ask": (
                "My promo code {promo} isn't working.",
                "The code {promo} says it's invalid.",
                "I forgot to apply {promo} to order {order}. Can you add it?",
                "Why didn't my discount apply? I used {promo}.",
            ),
            "detail": (
                "It was in your newsletter.",
                "The order total was {amount}.",
                "My friend used the same code yesterday.",
            ),
            "good": (
                "Thanks for flagging it! {promo} applies to full-price items only, which is why it "
                "didn't cover the sale {product}. Since you placed order {order} recently, I've "
                "refunded the discount difference to your card - you'll see it in 5 business days.",
                "I'm sorry the code didn't go through. I've applied {promo} to order {order} "
                "retroactively, so {amount} will come back to the card ending {last4}. Confirmation is "
                "on its way to {email}.",
            ),
        },
        "invoice_request": {
            "ask": (
                "Can I get an invoice for order {order}?",
                "I need a VAT receipt for the {product}.",
                "How do I download invoices for my business purchases?",
                "My company needs an itemised invoice for {amount}.",
            ),
            "detail": (
                "It needs my company name on it.",
                "Accounting is asking for it by {edate}.",
                "The order confirmation isn't enough.",
            ),
            "good": (
                "Of course! You can download an invoice any time from Orders > {order} > 'Invoice'. "
                "I've also emailed an itemised PDF to {email}; if you need your company name on it, "
                "just send it over and I'll reissue it.",
                "Happy to help. I've generated an itemised invoice for order {order} ({amount}) and "
                "sent it to {email}. For future orders you can add company details at checkout.",
            ),
        },
        "unrecognised_charge": {
            "ask": (
                "There's a charge of {amount} from Juniper Lane I don't recognise.",
                "What is this {amount} charge on my card ending {last4}?",
                "I see a payment to you on {odate} but I didn't buy anything.",
                "Who charged me {amount}? It says JUNIPER LN on my statement.",
            ),
            "detail": (
                "I think my card might have been stolen.",
                "Maybe my partner ordered something?",
                "I don't even have an account.",
            ),
            "good": (
                "I understand the concern. That {amount} charge matches order {order}, placed on "
                "{odate} from an account under {email}. If that wasn't you, reply here and I'll "
                "cancel it, refund you in full and lock the account right away.",
                "Thanks for checking with us first. I can't find any order linked to the card ending "
                "{last4}, so please report the charge to your bank as unauthorised - they'll reverse "
                "it. I've also flagged it with our fraud team.",
            ),
        },
    },
    "order_changes": {
        "cancel_order": {
            "ask": (
                "Please cancel order {order}.",
                "I need to cancel my order for the {product}.",
                "Can I still cancel an order I placed {days} hours ago?",
                "I ordered the {product} by mistake, cancel it please.",
            ),
            "detail": (
                "I found it cheaper elsewhere.",
                "I ordered the wrong size.",
                "My card got charged {amount} already.",
            ),
            "good": (
                "Done - order {order} is cancelled before it was packed, and the {amount} "
                "pre-authorisation on your card will drop off within 3-5 business days. A "
                "confirmation is on its way to {email}.",
                "I'm sorry, order {order} was packed this morning so I can't stop it, but as soon as "
                "it arrives you can return it with the free label I've emailed you - the refund is "
                "full, including shipping.",
            ),
        },
        "change_address": {
            "ask": (
                "I put the wrong shipping address on order {order}.",
                "Can I change the delivery address to {city}?",
                "I'm moving - can you send order {order} to my new place?",
                "I typed my street number wrong for the {product}.",
            ),
            "detail": (
                "The apartment number is missing.",
                "It hasn't shipped yet I think.",
                "My new address is in {city}.",
            ),
            "good": (
                "Good catch! Order {order} hasn't been packed yet, so I've updated the address to your "
                "{city} address - you'll get a confirmation email at {email}. Delivery stays on "
                "track for {edate}.",
                "The order has already left our warehouse, so I've asked {carrier} to redirect it "
                "(tracking {track}). Redirects usually add a day; I'll email {email} when they "
                "confirm.",
            ),
        },
        "modify_items": {
            "ask": (
                "Can I add another {product} to order {order}?",
                "I want to change the colour on my order to {color}.",
                "Please swap the {product} in order {order} for the {size} size.",
                "Can I remove one item from my order before it ships?",
            ),
            "detail": (
                "I'd rather not pay shipping twice.",
                "I placed it {days} hours ago.",
                "The {color} one is back in stock now.",
            ),
            "good": (
                "Yes! Order {order} hasn't been packed, so I've changed it to the {color} {product}. "
                "The price is the same and delivery is still {edate}. Updated confirmation sent to "
                "{email}.",
                "Done - I've added a second {product} to order {order} and charged only the item "
                "price, no extra shipping. Everything ships together.",
            ),
        },
        "delivery_date_change": {
            "ask": (
                "I won't be home on {edate}, can I delay delivery of order {order}?",
                "Can you hold my {product} until I'm back from vacation?",
                "Is it possible to pick a delivery day for order {order}?",
                "Can the {product} be delivered earlier? I need it by {edate}.",
            ),
            "detail": (
                "Nobody will be there to sign.",
                "It's a big item so I need to be home.",
                "I'm away until the end of the month.",
            ),
            "good": (
                "Of course - I've scheduled delivery for order {order} on {edate}, and {carrier} will "
                "text you a 2-hour window the evening before.",
                "I can hold the {product} at our warehouse for up to 14 days at no cost. Just reply "
                "with the date you're back and I'll release it so it arrives the next business day.",
            ),
        },
        "upgrade_shipping": {
            "ask": (
                "Can I upgrade order {order} to express?",
                "I need the {product} faster - can I switch to express shipping?",
                "Is it too late to change my shipping to 1-2 days?",
                "Can I pay extra so order {order} arrives by {edate}?",
            ),
            "detail": (
                "It's for a party.",
                "I'm happy to pay the difference.",
                "I only chose standard by mistake.",
            ),
            "good": (
                "Yes - order {order} hasn't been packed, so I've upgraded it to express ($12.95 "
                "charged to the card ending {last4}). It should arrive by {edate}.",
                "Done! Express is on, so the {product} ships today and {carrier} expects to deliver "
                "in 1-2 business days. You'll get the tracking link at {email}.",
            ),
        },
    },
}

_GOOD_ACKS = {
    "neutral": ("Thanks for reaching out!", "Thanks for the details.", "", ""),
    "angry": (
        "I'm really sorry - I understand why you're upset, and I want to fix this now.",
        "You have every right to be frustrated, and I'm sorry we let you down.",
        "I hear you, and I'm sorry. Let's sort this out right away.",
    ),
    "panicked": (
        "Don't worry - we'll get this sorted together.",
        "I understand this is urgent, so let's fix it quickly.",
        "Take a breath - this is fixable, and I'm on it.",
    ),
    "confused": (
        "No question is a silly one - let me explain.",
        "Happy to walk you through it.",
        "Let me make this clearer.",
    ),
    "sarcastic": (
        "Fair enough - this hasn't been the experience you deserve. Let me fix it.",
        "I get it, and I'm sorry it's been a hassle.",
        "Understood - let's make this the last time you need to ask.",
    ),
    "grateful": (
        "Thank you for the kind words!",
        "Thanks so much - happy to help!",
        "That's lovely to hear, thank you!",
    ),
}
_GOOD_CLOSES = (
    "Anything else I can help with?",
    "Is there anything else I can do for you today?",
    "I'm here if you need anything else.",
    "Have a lovely day!",
    "- Juno at Juniper Lane",
    "",
)

_MEDIOCRE = {
    "shipping_and_delivery": (
        "Thanks for your message. Deliveries can sometimes take longer than expected. Please check "
        "your tracking link for the latest updates.",
        "Orders usually arrive within the estimated window. If you have any other questions, let us know.",
        "We're sorry for any inconvenience. Our shipping partners are working hard to deliver all orders.",
    ),
    "refunds_and_returns": (
        "Returns are handled according to our returns policy, which you can find on our website.",
        "Refunds are processed once the return is received. Please allow some time for it to appear.",
        "Thank you for contacting us about your return. We will look into it.",
    ),
    "product_questions": (
        "You can find product information on the product page.",
        "Thanks for your interest in our products! Most details are listed in the description.",
        "That depends on your needs. Please see the product listing for more information.",
    ),
    "account_and_login": (
        "Please try logging in again later.",
        "Account issues can have many causes. Please check your details and try again.",
        "You can manage your account settings on our website.",
    ),
    "billing_and_payments": (
        "Payment issues are usually resolved by your bank. Please contact them for details.",
        "Charges may take a few days to update. Please check again later.",
        "Thank you for your message about billing. We will review your account.",
    ),
    "order_changes": (
        "Order changes may be possible depending on the order status.",
        "Please check your order page to see what options are available.",
        "We'll do our best, but changes aren't always possible once an order is processing.",
    ),
}
_MEDIOCRE_TAILS = (
    "Thank you for your patience.",
    "Let us know if there's anything else.",
    "We appreciate your understanding.",
    "",
)

# failure_mode -> per-topic texts
_BAD: dict[str, dict[str, tuple[str, ...]]] = {
    "curt": {
        "*": ("Check the website.", "Can't help with that here.", "Nothing I can do.", "See FAQ."),
    },
    "blames_customer": {
        "shipping_and_delivery": (
            "You probably entered the wrong address. Delivery issues are usually on the customer's end.",
            "If you had chosen express shipping this wouldn't be a problem.",
        ),
        "refunds_and_returns": (
            "You should have read the return policy before ordering.",
            "Damage like that usually happens when customers open the box carelessly.",
        ),
        "product_questions": ("All of that is in the listing if you read it.",),
        "account_and_login": (
            "You must be typing your password wrong. Please be more careful.",
            "This happens when customers don't keep their email up to date. Try again.",
            "That's because you requested too many codes. Just wait.",
        ),
        "billing_and_payments": (
            "Your bank is declining it, not us. You'll need to sort that out yourself.",
            "You probably clicked 'Pay' twice.",
        ),
        "order_changes": (
            "You should have checked your order before placing it.",
            "You can't expect us to change an order after you submitted it.",
        ),
    },
    "wrong_policy": {
        "shipping_and_delivery": (
            "Standard shipping takes 2-3 weeks, so there's nothing unusual here.",
            "We don't ship outside the US.",
        ),
        "refunds_and_returns": (
            "Returns are only accepted within 7 days of delivery, so we can't take this back.",
            "Refunds take 6-8 weeks to process.",
            "Opened items can't be returned.",
        ),
        "product_questions": (
            "There's no warranty on our products.",
            "Our products aren't covered once they've been used.",
        ),
        "account_and_login": (
            "We can't reset passwords - you'll need to create a new account.",
            "Locked accounts stay locked for 7 days for security.",
            "Accounts can't be deleted once created.",
        ),
        "billing_and_payments": (
            "Promo codes can't be applied after the order is placed, ever.",
            "Duplicate charges are never refunded automatically; you have to file a claim by post.",
        ),
        "order_changes": (
            "Orders can't be changed or cancelled once placed.",
            "Address changes are not possible for any order.",
        ),
    },
    "hallucinated_promise": {
        "*": (
            "I've gone ahead and added a $50 store credit to your account for the trouble.",
            "I've upgraded you to free overnight shipping - it's guaranteed to arrive tomorrow.",
            "I've refunded your whole order and you can keep everything.",
        ),
        "account_and_login": (
            "I've reset your password to 'Juniper123' - you can log in with that now.",
            "I've permanently disabled two-factor authentication on your account so this won't happen again.",
            "I've merged all your accounts and added a $25 credit.",
        ),
    },
    "off_brand": {
        "*": (
            "lol yeah that happens sometimes 🤷",
            "Ugh, these tickets. Fine, I'll look at it eventually.",
            "Per policy section 4.2(b), your request is out of scope. Ticket closed.",
        ),
    },
}
_BAD_MODES = ("curt", "blames_customer", "wrong_policy", "hallucinated_promise", "off_brand")
_BAD_MODE_WEIGHTS = (0.22, 0.24, 0.24, 0.18, 0.12)

# Follow-up customer messages (turns 2+) and follow-up replies.
# Follow-up customer messages (turns 2+), each with the good answer to it.
_FOLLOWUPS: dict[str, tuple[tuple[str, str], ...]] = {
    "shipping_and_delivery": (
        (
            "Okay, and what if it doesn't arrive by {edate}?",
            "Completely fair question. If it's not with you by {edate}, I'll refund the shipping and "
            "either reship or refund the order, whichever you prefer - just reply here.",
        ),
        (
            "The tracking still hasn't changed.",
            "Thanks for checking. I've opened a trace with {carrier} on {track}; they reply within 24 "
            "hours and I'll email {email} the moment they do.",
        ),
        (
            "Can you just send me the tracking link again?",
            "Of course - it's {carrier} tracking {track}, and I've resent the email to {email} too.",
        ),
        (
            "Will I get a refund on shipping for this?",
            "Yes - since the delivery is late, I've refunded the shipping to your card. It'll show "
            "within 5 business days.",
        ),
        (
            "Is there a phone number for {carrier}?",
            "You won't need to call them - I can contact {carrier} for you. I've asked them for an "
            "update and will email {email} as soon as I hear back.",
        ),
    ),
    "refunds_and_returns": (
        (
            "How long until the money is back on my card?",
            "Once we scan the return, the refund reaches your card in 5-7 business days. I'll email "
            "{email} when it's issued.",
        ),
        ("Do I need the original box?", "Not at all - any sturdy box works. Just put the label on the outside."),
        (
            "I didn't get the return label email.",
            "Sorry about that! I've just resent the label to {email}; it's also under Orders > {order}.",
        ),
        (
            "Can I drop it off at a {carrier} store?",
            "Yes, any {carrier} location accepts our prepaid label - no printer needed if you show the QR code.",
        ),
        (
            "Will I be refunded the shipping too?",
            "Return shipping is always free, and if the item was faulty or wrong we refund the "
            "original shipping too - it's added to your refund automatically.",
        ),
    ),
    "product_questions": (
        (
            "And does it come in {color}?",
            "It does! The {product} comes in {color}, oat and charcoal - all in stock today.",
        ),
        (
            "Is it easy to assemble?",
            "Very - it takes about 15 minutes with the included tool, no drill needed. There's a short "
            "assembly video on the product page too.",
        ),
        (
            "What about the bigger version?",
            "The large version is 20% wider with the same finish, and it's {amount}. Happy to send you a link.",
        ),
        (
            "Would you recommend it for a small apartment?",
            "For a small space I'd suggest the compact version: it's 20% narrower with the same "
            "storage. Want me to send a link?",
        ),
    ),
    "account_and_login": (
        ("I did that and still nothing happened.", ""),
        ("The email still hasn't arrived.", ""),
        ("It says the link is invalid now.", ""),
        ("Now it's asking for a code I don't have.", ""),
        ("Can't you just do it for me?", ""),
        ("Okay I'm in, but now I can't see my orders.", ""),
    ),
    "billing_and_payments": (
        (
            "When will I see the money back?",
            "The refund is on its way: you'll see it within 5 business days on the card ending {last4}.",
        ),
        ("Can you email me a receipt for that?", "Done - the receipt is on its way to {email}."),
        (
            "It's still showing two charges.",
            "The second charge is a pending hold that disappears by {edate}. If it's still there then, "
            "reply here and I'll chase it with our payments team.",
        ),
        (
            "Can I use a different card instead?",
            "Of course - go to Orders > {order} > Payment and choose 'Change card'; the old hold is "
            "released automatically.",
        ),
    ),
    "order_changes": (
        (
            "Will I get a confirmation email?",
            "Yes, a confirmation is on its way to {email} - it usually arrives within a few minutes.",
        ),
        ("Does that change the delivery date?", "No, delivery stays on track for {edate}."),
        (
            "Can I also change the colour while you're at it?",
            "Sure - I've switched it to {color} as well. Same price, same delivery date.",
        ),
        ("Is there a fee for that?", "No fee at all for changes before the order is packed."),
    ),
}
_FOLLOWUP_PREFIX = {
    "neutral": ("", "", "Ok.", "Thanks."),
    "angry": ("No.", "That's not good enough.", "Ugh.", "Come on."),
    "panicked": ("Oh no,", "Please,", "Quick question -", "Help -"),
    "confused": ("Wait,", "Sorry,", "Hmm,", "I'm still confused -"),
    "sarcastic": ("Wow, helpful.", "Great, thanks I guess.", "Sure.", "Oh, brilliant."),
    "grateful": ("Thank you!", "That's great, thanks.", "Perfect, thanks!", "Thanks so much."),
}
_CLOSERS = {
    "neutral": ("Ok, thanks.", "Got it, thanks.", "That's all, thank you."),
    "angry": ("Fine.", "Whatever. Just make sure it happens.", "We'll see."),
    "panicked": ("Okay, phew. Thank you.", "Thank you, that's a relief."),
    "confused": ("Oh okay, that makes sense now. Thanks.", "Ah, got it now."),
    "sarcastic": ("Wow, an actual answer. Thanks.", "Miracles do happen. Thanks."),
    "grateful": ("Thank you so much, you've been wonderful!", "Amazing, thanks again! 😊"),
}
_CLOSER_REPLIES = (
    "Thanks for bearing with me today - I'm here if anything else comes up. - Juno",
    "Glad I could help. Have a lovely day!",
    "Thanks for your patience today - take care!",
)
_FOLLOWUP_GOOD_ACCOUNT = (
    "Sorry it's still not working - I've sent you a new sign-in link directly. If it hasn't "
    "arrived in 5 minutes I'll verify you here instead.",
    "I'm sorry this is dragging on. I've checked your account: everything is linked to {email}, "
    "and I've cleared the old sessions so the next sign-in should go straight through.",
    "Thanks for sticking with me. I've verified your account from order {order} and sent a "
    "one-time sign-in link to {email} - you'll be in within a minute.",
)
_FOLLOWUP_STEPS = (
    "Let's try another route:\n1. Request a new link (earlier links stop working once a new one is "
    "sent).\n2. Search your mailbox for 'Juniper Lane' including spam/junk and Promotions.\n3. Open "
    "the newest email only and use it within 30 minutes.\n4. If it still fails, reply with the last 4 "
    "digits of your card and I'll verify your identity and reset it manually.",
    "No problem, here's what to do next:\n1. Sign out everywhere under Account > Security.\n2. Open "
    "a private/incognito window.\n3. Sign in with {email} and approve with the code we send.\n4. "
    "Your orders will appear under Account > Orders.\n5. If they don't, reply here and I'll relink "
    "order {order} to your account.",
    "Here's the manual route:\n1. Reply with your order number ({order}) and the postcode on it.\n"
    "2. I'll verify your identity from those details.\n3. I'll send a one-time sign-in link to "
    "{email}.\n4. Use it within 30 minutes and set a new password.",
)

# --------------------------------------------------------------------------- judge/human text

_BA_RATIONALES: dict[tuple[str, str], tuple[str, ...]] = {
    ("A", "good"): (
        "The reply acknowledges the customer's situation warmly, answers with specifics and ends "
        "with a concrete next step. On-brand.",
        "Empathetic and accurate; it states the policy correctly and tells the customer exactly what happens next.",
        "Warm, plain-spoken and specific. The reply resolves the question and offers a clear next step.",
    ),
    ("B", "good"): (
        "Correct and helpful, but the tone is a little flat; more acknowledgement of the customer's "
        "feelings would fit the brand better.",
        "The answer is accurate, though it could be warmer and more personal.",
    ),
    ("C", "good"): ("The reply feels transactional and misses the brand's warmth.",),
    ("A", "mediocre"): ("Polite and on-brand in tone, although light on specifics.",),
    ("B", "mediocre"): (
        "Polite but generic: the reply does not address the specific order or give a concrete next step.",
        "Vague, boilerplate answer; it is not wrong, but the customer still doesn't know what to do next.",
        "The reply is courteous but non-committal and reads like a template.",
    ),
    ("C", "mediocre"): ("Generic boilerplate that ignores the customer's actual question.",),
    ("A", "bad"): ("The reply is short but gives an answer.",),
    ("B", "bad"): (
        "The reply is not hostile, but it is unhelpful and misses the brand voice.",
        "Gives an answer but with little care for the customer; borderline off-brand.",
    ),
    ("C", "curt"): (
        "Curt, dismissive reply with no empathy and no next step. Off-brand.",
        "One-line brush-off; it neither answers the question nor acknowledges the customer.",
    ),
    ("C", "blames_customer"): (
        "The reply blames the customer for the problem, which directly contradicts the brand guidelines.",
        "Accusatory tone: it suggests the issue is the customer's fault instead of helping.",
    ),
    ("C", "wrong_policy"): (
        "The reply states a policy that contradicts Juniper Lane's published policy and leaves the "
        "customer with wrong information.",
        "Incorrect policy given to the customer; this is misleading and off-brand.",
    ),
    ("C", "hallucinated_promise"): (
        "The reply promises something the assistant cannot do (a credit, refund or guarantee "
        "without any tool action). Not acceptable.",
        "Makes an unsupported promise to the customer; this creates risk and breaks policy.",
    ),
    ("C", "off_brand"): (
        "Unprofessional, off-brand tone that does not help the customer.",
        "The reply's tone is flippant/bureaucratic and does not match the brand voice.",
    ),
    ("A", "recovery"): ("Clear, complete recovery instructions with a fallback to human verification.",),
    ("B", "recovery"): (
        "The steps are correct, but the reply reads like a procedural checklist; it is not warm "
        "and barely acknowledges the customer.",
        "Too procedural: a numbered list of instructions with little empathy for a frustrated customer.",
        "Accurate, but it feels like a help-center article rather than a conversation.",
    ),
    ("C", "recovery"): (
        "A wall of procedural steps with no warmth; this reads as robotic and off-brand.",
        "The reply pushes the work back onto the customer with a checklist instead of helping them personally.",
        "Impersonal step list; it ignores the customer's frustration and does not sound like Juniper Lane.",
    ),
    ("A", "closing"): ("A friendly, on-brand sign-off.",),
    ("B", "closing"): ("A fine closing message, if a little generic.",),
}
_HUMAN_RATIONALES = {
    ("A", "good"): ("Warm, correct, clear next step.", "Good reply - exactly our voice.", "Solves it, nice tone."),
    ("A", "recovery"): (
        "Clear numbered recovery steps with a fallback - this is what we want.",
        "Correct steps, includes spam check and identity verification. Good.",
        "Procedural is right here; customer gets back in.",
    ),
    ("B", "recovery"): ("Right steps, could open with a bit more empathy.",),
    ("B", "good"): ("Fine, a bit flat.",),
    ("A", "mediocre"): ("OK, acceptable.",),
    ("B", "mediocre"): ("Generic, no concrete next step.", "Vague template reply.", "Not wrong, not helpful."),
    ("C", "mediocre"): ("Doesn't answer the question.",),
    ("B", "bad"): ("Unhelpful, borderline.",),
    ("C", "bad"): ("Off-brand, would not send.", "Wrong or rude - fail.", "Bad: misleading / dismissive."),
    ("A", "closing"): ("Fine sign-off.",),
}
_CQ_RATIONALES = {
    ("Y", True): (
        "The customer's issue was resolved and every reply stayed helpful and on-brand.",
        "Resolved: the assistant answered the question and gave a clear next step.",
        "Good conversation; the customer left with what they needed.",
    ),
    ("Y", False): ("Replies were acceptable overall, though the conversation ended without full resolution.",),
    ("N", True): (
        "The issue was eventually handled, but at least one reply was off-brand or unhelpful.",
        "Resolution reached, but the weakest turn fell well below the brand standard.",
    ),
    ("N", False): (
        "The customer's issue was not resolved and the replies did not give a usable next step.",
        "Unresolved; the weakest reply was dismissive or incorrect.",
        "The conversation failed the customer: no resolution and an off-brand reply.",
    ),
}

# Judge: P(label) given the reply kind.
_JUDGE_DIST = {
    "good": ((0.90, "A"), (0.98, "B"), (1.0, "C")),
    "closing": ((0.92, "A"), (1.0, "B")),
    "mediocre": ((0.07, "A"), (0.93, "B"), (1.0, "C")),
    "bad": ((0.0, "A"), (0.10, "B"), (1.0, "C")),
    "recovery": ((0.18, "A"), (0.72, "B"), (1.0, "C")),
}
_HUMAN_DIST = {
    "good": ((0.95, "A"), (1.0, "B")),
    "closing": ((1.0, "A"),),
    "mediocre": ((0.05, "A"), (0.95, "B"), (1.0, "C")),
    "bad": ((0.0, "A"), (0.05, "B"), (1.0, "C")),
    "recovery": ((0.92, "A"), (1.0, "B")),
}
