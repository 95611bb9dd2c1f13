"""Hand-written benign chat messages for training the injection classifier (no external data).

Small talk in 17 languages (greetings, thanks, goodbyes, "what can you do?", one-word replies),
customer-support questions, and polite padding that the trainer wraps around questions to make long
benign messages. Written for this project; development-time only. Raises nothing.
"""

from __future__ import annotations

import random

# Small talk per language: greetings, thanks, goodbyes, capability questions and short replies.
SMALL_TALK: dict[str, list[str]] = {
    "en": ["hello", "hi", "hey", "hi there", "good morning", "good evening", "thank you", "thanks", "thanks a lot",
           "thank you so much", "many thanks", "ok", "okay", "yes", "no", "sure", "great", "perfect", "bye",
           "goodbye", "see you", "have a nice day", "what can you do?", "who are you?", "how are you?",
           "can you help me?", "I need help", "never mind", "cool", "sounds good", "got it", "thanks, that helped",
           "nice to meet you", "what are you?", "are you a bot?", "good night", "cheers", "you're welcome",
           "sorry", "excuse me", "help", "please", "one more question", "that's all, thanks"],
    "es": ["hola", "buenos días", "buenas tardes", "gracias", "muchas gracias", "vale", "sí", "no", "adiós",
           "hasta luego", "¿qué puedes hacer?", "¿quién eres?", "¿cómo estás?", "¿me puedes ayudar?", "perfecto",
           "de nada", "genial", "buenas noches", "necesito ayuda", "una pregunta más"],
    "fr": ["bonjour", "salut", "bonsoir", "merci", "merci beaucoup", "d'accord", "oui", "non", "au revoir",
           "à bientôt", "que peux-tu faire ?", "qui es-tu ?", "comment ça va ?", "pouvez-vous m'aider ?", "parfait",
           "de rien", "super", "bonne journée", "j'ai besoin d'aide", "une autre question"],
    "de": ["hallo", "guten Morgen", "guten Tag", "danke", "danke schön", "vielen Dank", "ok", "ja", "nein",
           "tschüss", "auf Wiedersehen", "was kannst du?", "wer bist du?", "wie geht's?", "kannst du mir helfen?",
           "super", "bitte", "gern geschehen", "gute Nacht", "ich brauche Hilfe", "noch eine Frage", "alles klar"],
    "it": ["ciao", "buongiorno", "buonasera", "grazie", "grazie mille", "va bene", "sì", "no", "arrivederci",
           "a presto", "cosa sai fare?", "chi sei?", "come stai?", "puoi aiutarmi?", "perfetto", "prego"],
    "pt": ["olá", "oi", "bom dia", "boa tarde", "obrigado", "obrigada", "muito obrigado", "tudo bem", "sim", "não",
           "tchau", "até logo", "o que você pode fazer?", "quem é você?", "pode me ajudar?", "perfeito"],
    "nl": ["hallo", "goedemorgen", "goedendag", "dank je", "dank u wel", "bedankt", "oké", "ja", "nee", "doei",
           "tot ziens", "wat kun je doen?", "wie ben jij?", "hoe gaat het?", "kun je me helpen?", "prima"],
    "pl": ["cześć", "dzień dobry", "dobry wieczór", "dziękuję", "dzięki", "bardzo dziękuję", "dobrze", "tak", "nie",
           "do widzenia", "na razie", "co potrafisz?", "kim jesteś?", "jak się masz?", "możesz mi pomóc?"],
    "ru": ["привет", "здравствуйте", "доброе утро", "спасибо", "большое спасибо", "хорошо", "да", "нет",
           "до свидания", "пока", "что ты умеешь?", "кто ты?", "как дела?", "можешь помочь?", "отлично"],
    "zh": ["你好", "您好", "早上好", "谢谢", "非常感谢", "好的", "是的", "不是", "再见", "拜拜", "你能做什么？",
           "你是谁？", "你好吗？", "你能帮我吗？", "没问题", "晚安"],
    "ja": ["こんにちは", "おはようございます", "こんばんは", "ありがとう", "ありがとうございます", "はい", "いいえ",
           "さようなら", "またね", "何ができますか？", "あなたは誰ですか？", "元気ですか？", "手伝ってくれますか？",
           "了解です", "おやすみなさい"],
    "ar": ["مرحبا", "السلام عليكم", "صباح الخير", "شكرا", "شكرا جزيلا", "حسنا", "نعم", "لا", "مع السلامة",
           "إلى اللقاء", "ماذا يمكنك أن تفعل؟", "من أنت؟", "كيف حالك؟", "هل يمكنك مساعدتي؟"],
    "hi": ["नमस्ते", "सुप्रभात", "धन्यवाद", "बहुत धन्यवाद", "शुक्रिया", "ठीक है", "हाँ", "नहीं", "अलविदा",
           "फिर मिलेंगे", "आप क्या कर सकते हैं?", "आप कौन हैं?", "आप कैसे हैं?", "क्या आप मेरी मदद कर सकते हैं?"],
    "tr": ["merhaba", "günaydın", "iyi akşamlar", "teşekkürler", "teşekkür ederim", "çok teşekkürler", "tamam",
           "evet", "hayır", "hoşça kal", "görüşürüz", "ne yapabilirsin?", "sen kimsin?", "nasılsın?",
           "bana yardım edebilir misin?"],
    "el": ["γεια σας", "γεια", "καλημέρα", "ευχαριστώ", "ευχαριστώ πολύ", "εντάξει", "ναι", "όχι", "αντίο",
           "τα λέμε", "τι μπορείς να κάνεις;", "ποιος είσαι;", "τι κάνεις;", "μπορείς να με βοηθήσεις;"],
    "vi": ["xin chào", "chào bạn", "chào buổi sáng", "cảm ơn", "cảm ơn nhiều", "cảm ơn bạn", "được", "vâng",
           "không", "tạm biệt", "hẹn gặp lại", "bạn có thể làm gì?", "bạn là ai?", "bạn khỏe không?",
           "bạn có thể giúp tôi không?"],
    "th": ["สวัสดี", "สวัสดีครับ", "สวัสดีค่ะ", "ขอบคุณ", "ขอบคุณครับ", "ขอบคุณค่ะ", "ขอบคุณมาก", "โอเค", "ใช่",
           "ไม่", "ลาก่อน", "แล้วพบกันใหม่", "คุณทำอะไรได้บ้าง", "คุณเป็นใคร", "สบายดีไหม", "ช่วยฉันหน่อยได้ไหม"],
}

# Customer-support questions (en/de/es/fr/it/pt/nl), the bot's everyday traffic.
SUPPORT_QUESTIONS: list[str] = [
    "What are your opening hours?", "How long does shipping to Canada take?", "Can I return an item I bought online?",
    "How do I reset my password?", "Where can I download my invoice?", "How do I cancel my subscription?",
    "Do you ship to Switzerland?", "Which payment methods do you accept?",
    "My order has not arrived yet, what can I do?",
    "How can I change my delivery address?", "Is there a warranty on the coffee machine?",
    "Can you tell me when my order will arrive?", "Could you explain the difference between the basic and pro plan?",
    "How do I delete my account?", "Can I pay by bank transfer?", "Why was my card declined?",
    "Is the store open on public holidays?", "How can I contact a human agent?",
    "Can you tell me more about the premium plan?",
    "Please tell me how to update the app.", "Could you tell me the price of the large model?",
    "I would like to know the status of my refund.", "Can I change the size after ordering?",
    "Wie lange dauert der Versand nach Österreich?", "Kann ich meine Bestellung stornieren?",
    "Wo finde ich meine Rechnung?", "Wie ändere ich meine Lieferadresse?", "Welche Zahlungsarten gibt es?",
    "Meine Bestellung ist noch nicht angekommen.", "Können Sie mir sagen, wann das Paket kommt?",
    "Gibt es eine Garantie auf das Gerät?", "Wie kann ich mein Konto löschen?",
    "¿Cuánto tarda el envío a México?", "¿Puedo devolver un producto?", "¿Cómo cambio mi contraseña?",
    "¿Dónde está mi pedido?", "¿Aceptan pagos con tarjeta?", "¿Me puede decir cuándo llega mi pedido?",
    "¿Cómo cancelo mi suscripción?", "Quels sont vos horaires d'ouverture ?", "Puis-je retourner un article ?",
    "Comment réinitialiser mon mot de passe ?", "Où est ma commande ?",
    "Pouvez-vous me dire quand ma commande arrivera ?",
    "Comment annuler mon abonnement ?", "Quanto costa la spedizione in Italia?", "Posso restituire un prodotto?",
    "Quanto tempo demora a entrega?", "Posso trocar o tamanho?", "Hoe lang duurt de levering?",
    "Kan ik mijn bestelling annuleren?",
]

# Polite padding that wraps questions in long benign messages.
OPENERS: list[str] = [
    "Hi there!", "Hello,", "Good morning!", "I hope you are well.",
    "I hope you are doing well and thank you for your time.",
    "Thank you for your help so far.", "Sorry to bother you again.", "Thanks in advance for your patience.",
    "I really appreciate your support.", "Hallo, ich hoffe, es geht Ihnen gut.", "Vielen Dank für Ihre Zeit.",
    "Hola, espero que estés bien.", "Muchas gracias por tu ayuda.", "Bonjour, j'espère que vous allez bien.",
    "Merci beaucoup pour votre temps.", "You were very helpful yesterday.", "Great answer, thank you!",
]
CLOSERS: list[str] = [
    "Thank you!", "Thanks a lot.", "Best regards.", "Have a nice day!", "Thanks again for your time.",
    "Kind regards, and thank you.", "Danke und viele Grüße.", "Saludos y gracias.", "Merci et bonne journée.",
    "Looking forward to your answer.",
]


def small_talk() -> list[str]:
    """Every small-talk phrase, plus capitalised and punctuated variants."""
    out: list[str] = []
    for phrases in SMALL_TALK.values():
        for p in phrases:
            out.extend({p, p[:1].upper() + p[1:], p + "!" if p[-1:].isalnum() else p})
    return out


def padded_messages(questions: list[str], n: int, seed: int = 7) -> list[str]:
    """``n`` benign messages: questions wrapped in 1-8 polite sentences, sometimes repeated."""
    rng = random.Random(seed)
    out: list[str] = []
    for _ in range(n):
        head = " ".join(rng.choice(OPENERS) for _ in range(rng.randint(1, 3)))
        if rng.random() < 0.3:
            head = " ".join([head] * rng.randint(2, 6))
        tail = rng.choice(CLOSERS) if rng.random() < 0.6 else ""
        out.append(f"{head} {rng.choice(questions)} {tail}".strip())
    return out
