// How a delivery is proved at the door: the PIN the customer reads from their tracking page, a
// photo of the door, or, once the PIN has locked, a manager's word.

/**
 * Wrong PINs allowed per order. Past them the PIN is locked, and so is the driver's photo: a photo
 * of a door proves nobody was met, so only a manager (who can call the customer) closes it then.
 */
export const MAX_PIN_ATTEMPTS = 5;
