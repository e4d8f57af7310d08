"""Example utterances of what is not a process: answers, repairs, small talk. The classifier
learns them next to the processes' own examples (each process module owns those)."""

from __future__ import annotations

INFORM = "inform"            # an answer or a fact: "it's #W1234567", "yes", "the blue one"
CANCEL = "cancel_process"    # stop what we're doing
CHITCHAT = "chitchat"
GOODBYE = "goodbye"
OUT_OF_SCOPE = "out_of_scope"
OTHER_CUSTOMER = "other_customer"

META_EXAMPLES: dict[str, tuple[str, ...]] = {
    INFORM: (
        "yes", "no", "yes please", "no thanks", "sure", "ok go ahead", "that's right", "correct", "nope",
        "the second one", "the first one", "number 2", "2", "the last one", "the one with the kettle",
        "it's #W1234567", "#W7654321", "order W1234567", "john.smith@example.com", "my email is ann@example.com",
        "my name is Sara Lee and my zip is 10001", "94110", "Sara Lee", "the blue one", "size large please",
        "to my paypal", "put it on my credit card", "use the gift card", "refund it to the original payment method",
        "sorry I meant #W1234567", "actually it's the other order", "no wait, I meant the red one",
        "I meant the lamp, not the kettle", "also the desk lamp", "and the water bottle too", "both of them",
        "all of them", "just the mouse", "the kettle and the lamp", "ordered by mistake", "no longer needed",
        "I don't need it anymore", "I ordered it by accident", "123 Main Street, Apt 4, Austin, TX 78701",
        "the new address is 45 Oak Ave, Springfield, IL 62704", "wait for the restock", "refund me",
        "I'd rather have my money back", "I'll wait", "send it again", "the cheaper one", "black, wireless",
        "make it the 8 inch version", "the glass one in brown", "it's for order 1234567", "ending in 66",
        "i don't mind waiting a week", "i can wait a week", "i'll wait for it", "waiting is fine",
        "i don't mind", "that's fine with me", "no problem, go ahead", "i'd rather have the refund",
    ),
    CANCEL: (
        "never mind", "forget it", "cancel that", "stop", "forget about it", "nevermind", "let's drop it",
        "I changed my mind, forget it", "don't bother", "leave it", "scratch that", "no forget it",
        "I don't want to do that anymore", "stop this", "abort", "let's not", "drop it",
        "I'll just keep it", "I'll keep it as it is", "never mind, I'll keep the items", "I'll keep everything then",
        "I'm keeping the items", "I'm keeping them",  # role-played customers
    ),
    CHITCHAT: (
        "hi", "hello", "hey there", "good morning", "how are you", "thanks", "thank you", "thanks a lot",
        "you're great", "are you a bot", "who are you", "what's your name", "lol", "great thanks",
        "nice", "cool", "how's your day", "what can you do", "can you help me",
        # announcing what is to come is no request yet: the requests follow ("First, I'd like to return …")
        "I've got several things to go over", "there are two things I need", "I have a few things to ask",
        "I have some stuff to sort out", "several things to sort out today",
    ),
    GOODBYE: (
        "bye", "goodbye", "that's all", "that's all thanks", "no that's it", "nothing else", "I'm done",
        "that will be all", "thanks, bye", "see you", "have a nice day", "no, that's everything",
        "nothing more, thanks", "all good, bye", "that is all for today", "no thank you, that's all",
        "nope, that's it", "no that's it thanks", "that's it, thanks for your help", "nothing else, thank you",
        "no, i'm all set", "that's everything, thanks for the help",
        # said by role-played customers (evals/roleplay/transcripts)
        "I'm all done", "no thanks, I'm all set", "no, cheers", "no that's handled, thanks", "all sorted, bye",
        "nope, we're good", "that's all i needed",
    ),
    OUT_OF_SCOPE: (
        "can you unsubscribe me from marketing emails", "I want a coupon", "give me a discount code",
        "what's the weather", "tell me a joke", "do you price match", "can you match the price of another store",
        "I want to change my password", "delete my account", "how do I apply for a job",
        "can I get compensation for the trouble", "I want a voucher for the inconvenience", "write me a poem",
        "what's the stock price", "can you change my email address", "add a new credit card to my account",
        "place a new order for me", "can you recommend a laptop", "sign me up for the newsletter",
        "can you help me troubleshoot them", "how do i fix it", "it won't pair with my phone, can you help",
        "can you help me set it up", "i need technical support",
        "I want to file a complaint about a delivery driver", "change my phone number",
    ),
    OTHER_CUSTOMER: (
        "what did my wife order", "check my husband's order", "cancel my friend's order",
        "look up my mother's account", "I'm asking for my brother's order", "can you check another customer",
        "what is the status of my neighbour's order", "tell me about someone else's account",
        "my colleague's order, can you cancel it", "show me the orders of jane@example.com as well",
        "can you tell me what my friend ordered", "what did my friend order", "look up my friend's account",
        "what did my sister buy", "tell me what my husband bought", "check the order my roommate placed",
    ),
}
